// The request shape capture, void and refund share: the submission's Idempotency-Key, and
// If-Match with the payment version the merchant was looking at.
//
// Why If-Match here (and not on deposits, withdrawals or transfers): a merchant decides to
// capture, void or refund from what the payment's page shows (its status, what was captured,
// what is already refunded). If the payment changed meanwhile (the payer or a colleague voided
// it, another refund went through, another tab captured it), applying the command to a state
// nobody looked at could, for example, refund a second time on top of a refund the merchant
// had not seen. With If-Match the API refuses (412) and the page says "changed meanwhile,
// reload". Account movements are different: whether they may go ahead depends only on the
// balance when applied, which the API checks atomically, and accounts change all the time
// (incoming money, holds), so pinning their version would refuse them for nothing.
export interface PaymentCommand {
  paymentId: string;
  /** The payment version shown when the merchant chose to act. */
  version: number;
  idempotencyKey: string;
}

export function commandHeaders({ version, idempotencyKey }: PaymentCommand) {
  return { "Idempotency-Key": idempotencyKey, "If-Match": `"${version}"` };
}

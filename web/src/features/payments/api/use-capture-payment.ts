// Capture an authorised payment (POST /v1/payments/{id}/capture): the held amount moves from
// the payer to the payee. If-Match and Idempotency-Key: see payment-command.ts.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import { commandHeaders, type PaymentCommand } from "./payment-command";
import { useSettlePaymentCommand } from "./settle-payment-command";

export function useCapturePayment(accountIds: readonly string[]) {
  const { write } = useApi();
  const settle = useSettlePaymentCommand();
  return useMutation({
    mutationFn: (command: PaymentCommand) =>
      dataOf(
        write.POST("/v1/payments/{payment_id}/capture", {
          params: { path: { payment_id: command.paymentId }, header: commandHeaders(command) },
        }),
      ),
    retry: retryTransient,
    onSuccess: (captured, { paymentId }) => settle(captured, paymentId, accountIds),
  });
}

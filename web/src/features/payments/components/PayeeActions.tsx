// What the payee (the merchant) can do with a payment in its current status: capture or void
// an authorised one; refund a captured one, in part or in full. Each button press is one
// submission with its own Idempotency-Key (a retry of it reuses the key) and If-Match with the
// version on screen (payment-command.ts says why); "changed meanwhile" (412) offers a reload.
import { useState } from "react";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { ApiError } from "../../../lib/api/problem";
import { explainRefusal } from "../../../lib/forms/refusals";
import { useCapturePayment } from "../api/use-capture-payment";
import type { Payment } from "../api/use-payment";
import { useVoidPayment } from "../api/use-void-payment";
import { RefundForm } from "./RefundForm";

const changedMeanwhile = (error: unknown) => error instanceof ApiError && error.status === 412;

export function PayeeActions({ payment, onReload }: { payment: Payment; onReload: () => void }) {
  const parties = [payment.payer_account_id, payment.payee_account_id];
  const capture = useCapturePayment(parties);
  const voiding = useVoidPayment(parties);
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const busy = capture.isPending || voiding.isPending;

  async function act(action: "capture" | "void") {
    setProblem(null);
    setDone(null);
    const command = {
      paymentId: payment.id,
      version: payment.version,
      idempotencyKey: keys.keyFor({ action, version: payment.version }),
    };
    try {
      await (action === "capture" ? capture : voiding).mutateAsync(command);
      keys.succeeded();
      setDone(action === "capture" ? "Payment captured." : "Payment voided: the hold is released.");
    } catch (error) {
      setProblem(explainRefusal(error));
    }
  }

  return (
    <section aria-labelledby="payee-actions-heading">
      <h2 id="payee-actions-heading">As the payee</h2>
      {done ? (
        <p role="status" className="alert alert-success">
          {done}
        </p>
      ) : null}
      {payment.status === "authorized" ? (
        <>
          <p>
            The amount is held on the payer&apos;s account. Capture it to be paid, or void the
            payment to release the hold.
          </p>
          <ProblemAlert error={problem} />
          <div className="actions">
            <button type="button" disabled={busy} onClick={() => void act("capture")}>
              {capture.isPending ? "Capturing…" : "Capture"}
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void act("void")}
            >
              {voiding.isPending ? "Voiding…" : "Void"}
            </button>
          </div>
        </>
      ) : null}
      {payment.status === "captured" || payment.status === "partially_refunded" ? (
        <RefundForm
          payment={payment}
          onDone={(message) => {
            setDone(message);
          }}
          onProblem={(error) => {
            setProblem(error);
            if (error === null) setDone(null);
          }}
        />
      ) : null}
      {payment.status === "voided" || payment.status === "refunded" ? (
        <p>Nothing more can be done with this payment.</p>
      ) : null}
      {changedMeanwhile(problem) ? (
        <div className="actions">
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setProblem(null);
              onReload();
            }}
          >
            Reload the payment
          </button>
        </div>
      ) : null}
    </section>
  );
}

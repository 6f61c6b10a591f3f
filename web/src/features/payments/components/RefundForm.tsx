// The payee refunds part or all of what is left of a captured payment: the amount parsed
// exactly in the payment's currency, at most what is left; "Refund all" fills that in.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { amountHint, amountInputMode, validateAmount } from "../../../lib/forms/amount";
import { explainRefusal } from "../../../lib/forms/refusals";
import { showServerErrors } from "../../../lib/forms/server-errors";
import {
  amountForApi,
  formatMinorUnits,
  minorUnitsAsInput,
  parseAmount,
} from "../../../lib/money/money";
import type { Payment } from "../api/use-payment";
import { useRefundPayment } from "../api/use-refund-payment";

export function RefundForm({
  payment,
  onDone,
  onProblem,
}: {
  payment: Payment;
  /** Told what was refunded (the form may be gone once nothing is left to refund). */
  onDone: (message: string) => void;
  /** The form shows its own problems; a 412 is also the page's business (reload). */
  onProblem: (error: unknown) => void;
}) {
  const refund = useRefundPayment([payment.payer_account_id, payment.payee_account_id]);
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const left = BigInt(payment.captured) - BigInt(payment.refunded);
  const { currency } = payment;
  const { register, handleSubmit, setError, setValue, reset, formState } = useForm<{
    amount: string;
  }>({ defaultValues: { amount: "" } });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    onProblem(null);
    const parsed = parseAmount(values.amount, currency);
    if (!parsed.ok) return;
    const body = { amount: amountForApi(parsed.minorUnits) };
    try {
      await refund.mutateAsync({
        paymentId: payment.id,
        version: payment.version,
        idempotencyKey: keys.keyFor({ body, version: payment.version }),
        body,
      });
      keys.succeeded();
      reset();
      onDone(`Refunded ${formatMinorUnits(parsed.minorUnits, currency)}.`);
    } catch (error) {
      const rest = explainRefusal(showServerErrors(error, setError, ["amount"]));
      setProblem(rest);
      onProblem(rest);
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="refund-heading">
      <h2 id="refund-heading">Refund</h2>
      <p>
        Left to refund: <strong>{formatMinorUnits(left, currency)}</strong>
      </p>
      <TextField
        label={`Refund amount (${currency})`}
        hint={`${amountHint(currency)}; at most ${formatMinorUnits(left, currency)}.`}
        inputMode={amountInputMode(currency)}
        autoComplete="off"
        error={errors.amount?.message}
        {...register("amount", { validate: validateAmount(currency, left) })}
      />
      <ProblemAlert error={problem} />
      <div className="actions">
        <button type="submit" disabled={isSubmitting}>
          {isSubmitting ? "Refunding…" : "Refund"}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setValue("amount", minorUnitsAsInput(left, currency), { shouldValidate: true });
          }}
        >
          Fill in all that is left
        </button>
      </div>
    </form>
  );
}

// Transfers from this account to another one, the signed-in user's or anyone's, by account
// number. One Idempotency-Key per submission (kept for a retry of the same values). An account
// number the API does not know (404) is said on its field; a refusal (409: not enough money,
// another currency, a frozen account) in words above the button.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { ApiError } from "../../../lib/api/problem";
import { amountHint, amountInputMode, validateAmount } from "../../../lib/forms/amount";
import { normaliseId, validateAccountNumber } from "../../../lib/forms/ids";
import { explainRefusal } from "../../../lib/forms/refusals";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { amountForApi, formatMinorUnits, parseAmount } from "../../../lib/money/money";
import { useTransfer, type TransferBody } from "../api/use-transfer";

interface TransferValues {
  to_account_id: string;
  amount: string;
  reference: string;
}

export function TransferForm({
  accountId,
  ownerId,
  currency,
}: {
  accountId: string;
  ownerId: string;
  currency: string;
}) {
  const transfer = useTransfer(ownerId);
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const { register, handleSubmit, setError, reset, formState } = useForm<TransferValues>({
    defaultValues: { to_account_id: "", amount: "", reference: "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    setDone(null);
    const parsed = parseAmount(values.amount, currency);
    if (!parsed.ok) return;
    const body: TransferBody = {
      from_account_id: accountId,
      to_account_id: normaliseId(values.to_account_id),
      amount: amountForApi(parsed.minorUnits),
      reference: values.reference,
    };
    try {
      await transfer.mutateAsync({ body, idempotencyKey: keys.keyFor(body) });
      keys.succeeded();
      reset();
      const sent = formatMinorUnits(parsed.minorUnits, currency);
      setDone(`Sent ${sent} to account ${body.to_account_id}.`);
    } catch (error) {
      const unknownTarget =
        error instanceof ApiError &&
        error.status === 404 &&
        error.detail.includes(body.to_account_id);
      if (unknownTarget) {
        setError(
          "to_account_id",
          { type: "server", message: "There is no account with this number." },
          { shouldFocus: true },
        );
        return;
      }
      const fields = ["to_account_id", "amount", "reference"] as const;
      setProblem(explainRefusal(showServerErrors(error, setError, fields)));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="transfer-heading">
      <h2 id="transfer-heading">Transfer</h2>
      <TextField
        label="To account number"
        hint="The number of the account to pay into, as its owner gave it to you."
        autoComplete="off"
        spellCheck={false}
        error={errors.to_account_id?.message}
        {...register("to_account_id", { validate: validateAccountNumber })}
      />
      <TextField
        label={`Amount (${currency})`}
        hint={amountHint(currency)}
        inputMode={amountInputMode(currency)}
        autoComplete="off"
        error={errors.amount?.message}
        {...register("amount", { validate: validateAmount(currency) })}
      />
      <TextField
        label="Reference"
        hint="What the money is for, e.g. rent. The receiver sees it too."
        maxLength={200}
        error={errors.reference?.message}
        {...register("reference", { required: "Enter a reference." })}
      />
      <ProblemAlert error={problem} />
      {done ? (
        <p role="status" className="alert alert-success">
          {done}
        </p>
      ) : null}
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Transferring…" : "Transfer"}
      </button>
    </form>
  );
}

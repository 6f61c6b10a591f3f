// Deposits into an account: the amount as people type it (parsed exactly into minor units in
// their locale) and a reference. One Idempotency-Key per submission, kept for a retry of the
// same values, so a double click or a retry never deposits twice.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { formatMinorUnits, minorUnitExponent, parseAmount } from "../../../lib/money/money";
import { useDeposit, type DepositBody } from "../api/use-deposit";

interface DepositValues {
  amount: string;
  reference: string;
}

export function DepositForm({
  accountId,
  ownerId,
  currency,
}: {
  accountId: string;
  ownerId: string;
  currency: string;
}) {
  const deposit = useDeposit(accountId, ownerId);
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const { register, handleSubmit, setError, reset, formState } = useForm<DepositValues>({
    defaultValues: { amount: "", reference: "" },
  });
  const { errors, isSubmitting } = formState;
  const example = minorUnitExponent(currency) === 0 ? "1250" : "12.50";

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    setDone(null);
    const parsed = parseAmount(values.amount, currency);
    if (!parsed.ok) return;
    // At most 10^15 minor units (parseAmount's limit), well within a double's exact integers.
    const body: DepositBody = { amount: Number(parsed.minorUnits), reference: values.reference };
    try {
      await deposit.mutateAsync({ body, idempotencyKey: keys.keyFor(body) });
      keys.succeeded();
      reset();
      setDone(`Deposited ${formatMinorUnits(parsed.minorUnits, currency)}.`);
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["amount", "reference"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="deposit-heading">
      <h2 id="deposit-heading">Deposit</h2>
      <TextField
        label={`Amount (${currency})`}
        hint={`For example ${example}`}
        inputMode={minorUnitExponent(currency) === 0 ? "numeric" : "decimal"}
        autoComplete="off"
        error={errors.amount?.message}
        {...register("amount", {
          validate: (amount) => {
            const parsed = parseAmount(amount, currency);
            return parsed.ok || parsed.error;
          },
        })}
      />
      <TextField
        label="Reference"
        hint="What the money is for, e.g. salary."
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
        {isSubmitting ? "Depositing…" : "Deposit"}
      </button>
    </form>
  );
}

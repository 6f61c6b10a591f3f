// A deposit or a withdrawal: the amount as people type it (parsed exactly into minor units in
// their locale) and a reference. One Idempotency-Key per submission, kept for a retry of the
// same values, so a double click or a retry never moves the money twice. The API's field
// errors land on the fields; a refusal (409) is said in words (lib/forms/refusals).
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { amountHint, amountInputMode, validateAmount } from "../../../lib/forms/amount";
import { explainRefusal } from "../../../lib/forms/refusals";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { amountForApi, formatMinorUnits, parseAmount } from "../../../lib/money/money";

interface MovementValues {
  amount: string;
  reference: string;
}

export interface MovementBody {
  amount: number;
  reference: string;
}

export interface MovementWords {
  /** The form's heading and button: "Deposit". */
  action: string;
  /** The button while sending: "Depositing…". */
  busy: string;
  /** Past tense for the confirmation: "Deposited". */
  done: string;
  referenceHint: string;
}

export function MovementForm({
  currency,
  words,
  send,
}: {
  currency: string;
  words: MovementWords;
  send: (body: MovementBody, idempotencyKey: string) => Promise<unknown>;
}) {
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const { register, handleSubmit, setError, reset, formState } = useForm<MovementValues>({
    defaultValues: { amount: "", reference: "" },
  });
  const { errors, isSubmitting } = formState;
  const headingId = `${words.action.toLowerCase()}-heading`;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    setDone(null);
    const parsed = parseAmount(values.amount, currency);
    if (!parsed.ok) return;
    const body: MovementBody = {
      amount: amountForApi(parsed.minorUnits),
      reference: values.reference,
    };
    try {
      await send(body, keys.keyFor(body));
      keys.succeeded();
      reset();
      setDone(`${words.done} ${formatMinorUnits(parsed.minorUnits, currency)}.`);
    } catch (error) {
      setProblem(explainRefusal(showServerErrors(error, setError, ["amount", "reference"])));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby={headingId}>
      <h2 id={headingId}>{words.action}</h2>
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
        hint={words.referenceHint}
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
        {isSubmitting ? words.busy : words.action}
      </button>
    </form>
  );
}

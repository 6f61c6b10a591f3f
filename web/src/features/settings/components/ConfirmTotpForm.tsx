// Enrolment, second step: the code the app now shows proves it holds the secret.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useConfirmTotpEnrolment } from "../api/use-second-factor";

export function ConfirmTotpForm({
  userId,
  onConfirmed,
}: {
  userId: string;
  onConfirmed: (recoveryCodes: readonly string[]) => void;
}) {
  const confirm = useConfirmTotpEnrolment(userId);
  const [problem, setProblem] = useState<unknown>(null);
  const { register, handleSubmit, setError, formState } = useForm<{ code: string }>({
    defaultValues: { code: "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async ({ code }) => {
    setProblem(null);
    try {
      const confirmed = await confirm.mutateAsync(code.replace(/\s/g, ""));
      onConfirmed(confirmed.recovery_codes);
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["code"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <TextField
        label="Code from the app"
        hint="The 6-digit code your authenticator app shows for Ledgerline."
        autoComplete="one-time-code"
        inputMode="numeric"
        error={errors.code?.message}
        {...register("code", {
          required: "Enter the code.",
          pattern: { value: /^\s*\d{3}\s?\d{3}\s*$/, message: "The code has 6 digits." },
        })}
      />
      <ProblemAlert error={problem} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Checking…" : "Turn on two-step login"}
      </button>
    </form>
  );
}

// The second login step: a code from the authenticator app, or a recovery code.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useCompleteMfa } from "../api/use-complete-mfa";

export function MfaCodeForm({ mfaToken, onSignedIn }: { mfaToken: string; onSignedIn: () => void }) {
  const completeMfa = useCompleteMfa();
  const [problem, setProblem] = useState<unknown>(null);
  const { register, handleSubmit, setError, formState } = useForm<{ code: string }>();
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async ({ code }) => {
    setProblem(null);
    try {
      await completeMfa.mutateAsync({ mfa_token: mfaToken, code: code.replace(/\s/g, "") });
      onSignedIn();
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["code"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <TextField
        label="Code"
        hint="The 6-digit code from your authenticator app, or one of your recovery codes."
        autoComplete="one-time-code"
        inputMode="numeric"
        error={errors.code?.message}
        {...register("code", { required: "Enter the code." })}
      />
      <ProblemAlert error={problem} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Checking…" : "Continue"}
      </button>
    </form>
  );
}

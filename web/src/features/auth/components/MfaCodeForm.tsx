// The second login step: a code from the authenticator app, or (after "Use a recovery code
// instead") one of the recovery codes, which has letters, so the field then offers a full
// keyboard rather than digits.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useCompleteMfa } from "../api/use-complete-mfa";

export function MfaCodeForm({ mfaToken, onSignedIn }: { mfaToken: string; onSignedIn: () => void }) {
  const completeMfa = useCompleteMfa();
  const [problem, setProblem] = useState<unknown>(null);
  const [recovery, setRecovery] = useState(false);
  const { register, handleSubmit, setError, setFocus, resetField, formState } = useForm<{
    code: string;
  }>({ defaultValues: { code: "" } });
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
        label={recovery ? "Recovery code" : "Code"}
        hint={
          recovery
            ? "One of the recovery codes you saved when you set up two-step login; each works once."
            : "The 6-digit code from your authenticator app, or one of your recovery codes."
        }
        autoComplete="one-time-code"
        inputMode={recovery ? "text" : "numeric"}
        autoCapitalize="none"
        spellCheck={false}
        error={errors.code?.message}
        {...register("code", { required: "Enter the code." })}
      />
      <ProblemAlert error={problem} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Checking…" : "Continue"}
      </button>{" "}
      <button
        type="button"
        className="link-button"
        onClick={() => {
          setRecovery(!recovery);
          resetField("code");
          setTimeout(() => {
            setFocus("code");
          }, 0);
        }}
      >
        {recovery ? "Use a code from the app instead" : "Use a recovery code instead"}
      </button>
    </form>
  );
}

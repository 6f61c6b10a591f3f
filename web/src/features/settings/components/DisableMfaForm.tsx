// Turn the second factor off: the password and a code (from the app, or a recovery code).
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useDisableMfa, type MfaDisable } from "../api/use-second-factor";

export function DisableMfaForm({ userId, onDisabled }: { userId: string; onDisabled: () => void }) {
  const disable = useDisableMfa(userId);
  const [problem, setProblem] = useState<unknown>(null);
  const { register, handleSubmit, setError, formState } = useForm<MfaDisable>({
    defaultValues: { password: "", code: "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    try {
      await disable.mutateAsync({ ...values, code: values.code.replace(/\s/g, "") });
      onDisabled();
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["password", "code"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="disable-mfa-heading">
      <h3 id="disable-mfa-heading">Turn two-step login off</h3>
      <TextField
        label="Password"
        type="password"
        autoComplete="current-password"
        error={errors.password?.message}
        {...register("password", { required: "Enter your password." })}
      />
      <TextField
        label="Code"
        hint="A code from your authenticator app, or one of your recovery codes."
        autoComplete="one-time-code"
        error={errors.code?.message}
        {...register("code", { required: "Enter a code." })}
      />
      <ProblemAlert error={problem} />
      <button type="submit" className="danger" disabled={isSubmitting}>
        {isSubmitting ? "Turning off…" : "Turn off two-step login"}
      </button>
    </form>
  );
}

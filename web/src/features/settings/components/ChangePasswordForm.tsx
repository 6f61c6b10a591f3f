// Change the password: the current one and a new one (the sign-up rules: 12 characters or
// more, not a common password, which the API checks). Other sessions are logged out.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useChangePassword } from "../api/use-change-password";

const MIN_PASSWORD = 12;

interface PasswordValues {
  current_password: string;
  new_password: string;
}

export function ChangePasswordForm({ userId }: { userId: string }) {
  const change = useChangePassword(userId);
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const { register, handleSubmit, setError, reset, formState } = useForm<PasswordValues>({
    defaultValues: { current_password: "", new_password: "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    setDone(false);
    try {
      await change.mutateAsync(values);
      reset();
      setDone(true);
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["current_password", "new_password"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <TextField
        label="Current password"
        type="password"
        autoComplete="current-password"
        error={errors.current_password?.message}
        {...register("current_password", { required: "Enter your current password." })}
      />
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD} characters; a long phrase is easiest to remember.`}
        error={errors.new_password?.message}
        {...register("new_password", {
          required: "Choose a new password.",
          minLength: { value: MIN_PASSWORD, message: `Use at least ${MIN_PASSWORD} characters.` },
        })}
      />
      <ProblemAlert error={problem} />
      {done ? (
        <p role="status" className="alert alert-success">
          Your password is changed. Your other sessions have been logged out.
        </p>
      ) : null}
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Changing…" : "Change password"}
      </button>
    </form>
  );
}

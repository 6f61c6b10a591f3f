// /reset-password?token=…: where the password-reset e-mail's link leads. A new password, then
// every session is logged out and the person logs in again.
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { ApiError } from "../../../lib/api/problem";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useConfirmPasswordReset } from "../api/use-password-reset";
import { useLinkToken } from "../hooks/use-link-token";

const MIN_PASSWORD = 12;

export function ResetPasswordRoute() {
  const token = useLinkToken();
  const confirm = useConfirmPasswordReset();
  const [problem, setProblem] = useState<unknown>(null);
  const { register, handleSubmit, setError, formState } = useForm<{ password: string }>({
    defaultValues: { password: "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async ({ password }) => {
    setProblem(null);
    try {
      await confirm.mutateAsync({ token, password });
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["password"]));
    }
  });

  if (confirm.isSuccess) {
    return (
      <section className="narrow">
        <PageHeading>Password changed</PageHeading>
        <p role="status" className="alert alert-success">
          Your new password is set, and every session has been logged out.
        </p>
        <p>
          <Link to="/login">Log in with your new password</Link>
        </p>
      </section>
    );
  }
  // A used, superseded or expired link is a 400 naming `token`.
  const badLink = problem instanceof ApiError && problem.status === 400;
  return (
    <section className="narrow">
      <PageHeading>Choose a new password</PageHeading>
      {token === "" ? (
        <p>
          This page needs the link from the e-mail we sent you; open that link again, or{" "}
          <Link to="/forgot-password">ask for a new one</Link>.
        </p>
      ) : (
        <form onSubmit={(event) => void submit(event)} noValidate>
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            hint={`At least ${MIN_PASSWORD} characters; a long phrase is easiest to remember.`}
            error={errors.password?.message}
            {...register("password", {
              required: "Choose a password.",
              minLength: { value: MIN_PASSWORD, message: `Use at least ${MIN_PASSWORD} characters.` },
            })}
          />
          {badLink ? (
            <p role="alert" className="alert alert-error">
              This link does not work any more: it has been used, a newer one replaced it, or it
              expired. <Link to="/forgot-password">Ask for a new link</Link>.
            </p>
          ) : (
            <ProblemAlert error={problem} />
          )}
          <button type="submit" disabled={isSubmitting}>
            {isSubmitting ? "Saving…" : "Set new password"}
          </button>
        </form>
      )}
    </section>
  );
}

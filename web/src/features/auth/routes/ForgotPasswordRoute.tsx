// /forgot-password: ask for a password-reset link by e-mail. The answer is the same whether or
// not anybody has the address, so the page says exactly what the API says.
import { useForm } from "react-hook-form";
import { Link } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useRequestPasswordReset } from "../api/use-password-reset";

export function ForgotPasswordRoute() {
  const request = useRequestPasswordReset();
  const { register, handleSubmit, formState } = useForm<{ email: string }>({
    defaultValues: { email: "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async ({ email }) => {
    try {
      await request.mutateAsync(email.trim());
    } catch {
      // request.error is shown below.
    }
  });

  return (
    <section className="narrow">
      <PageHeading>Reset your password</PageHeading>
      {request.isSuccess ? (
        <>
          <p role="status" className="alert alert-success">
            {request.data.detail}
          </p>
          <p>
            <Link to="/login">Back to log in</Link>
          </p>
        </>
      ) : (
        <form onSubmit={(event) => void submit(event)} noValidate>
          <p>We will e-mail you a link to choose a new password.</p>
          <TextField
            label="E-mail address"
            type="email"
            autoComplete="email"
            error={errors.email?.message}
            {...register("email", { required: "Enter your e-mail address." })}
          />
          <ProblemAlert error={request.error} />
          <button type="submit" disabled={isSubmitting}>
            {isSubmitting ? "Sending…" : "Send me a link"}
          </button>
        </form>
      )}
    </section>
  );
}

// The first login step: e-mail address and password.
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useLogIn, type LogInOutcome } from "../api/use-log-in";

interface LogInValues {
  email: string;
  password: string;
}

export function LogInForm({
  defaultEmail,
  onOutcome,
}: {
  defaultEmail: string;
  onOutcome: (outcome: LogInOutcome) => void;
}) {
  const logIn = useLogIn();
  const { register, handleSubmit, formState } = useForm<LogInValues>({
    defaultValues: { email: defaultEmail, password: "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    try {
      onOutcome(await logIn.mutateAsync({ ...values, email: values.email.trim() }));
    } catch {
      // logIn.error is shown below.
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <TextField
        label="E-mail address"
        type="email"
        autoComplete="username"
        error={errors.email?.message}
        {...register("email", { required: "Enter your e-mail address." })}
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="current-password"
        error={errors.password?.message}
        {...register("password", { required: "Enter your password." })}
      />
      <ProblemAlert error={logIn.error} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Logging in…" : "Log in"}
      </button>
    </form>
  );
}

// The sign-up form: e-mail, full name and password, checked here for comfort and by the API
// for real (its field errors land on the fields).
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useSignUp, type SignUpBody } from "../api/use-sign-up";

const MIN_PASSWORD = 12;

/** The language of the user's e-mails: Portuguese for a browser in Portuguese, else English. */
function mailLanguage(): SignUpBody["language"] {
  return navigator.language.toLowerCase().startsWith("pt") ? "pt" : "en";
}

interface SignUpValues {
  email: string;
  full_name: string;
  password: string;
}

export function SignUpForm({ onSignedUp }: { onSignedUp: (email: string) => void }) {
  const signUp = useSignUp();
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const { register, handleSubmit, setError, formState } = useForm<SignUpValues>();
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    const body: SignUpBody = { ...values, email: values.email.trim(), language: mailLanguage() };
    try {
      await signUp.mutateAsync({ body, idempotencyKey: keys.keyFor(body) });
      keys.succeeded();
      onSignedUp(body.email);
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["email", "full_name", "password"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <TextField
        label="E-mail address"
        type="email"
        autoComplete="email"
        error={errors.email?.message}
        {...register("email", { required: "Enter your e-mail address." })}
      />
      <TextField
        label="Full name"
        autoComplete="name"
        error={errors.full_name?.message}
        {...register("full_name", { required: "Enter your name." })}
      />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD} characters; a long phrase is easiest to remember.`}
        error={errors.password?.message}
        {...register("password", {
          required: "Choose a password.",
          minLength: { value: MIN_PASSWORD, message: `Use at least ${MIN_PASSWORD} characters.` },
        })}
      />
      <ProblemAlert error={problem} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Creating your account…" : "Sign up"}
      </button>
    </form>
  );
}

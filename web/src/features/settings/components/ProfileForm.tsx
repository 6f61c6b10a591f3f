// The user's name and e-mail address; only what changed is sent. A new address stays
// unconfirmed until the link mailed to it is opened.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useChangeProfile, type ProfileChange } from "../api/use-change-profile";
import type { User } from "../api/use-user";

interface ProfileValues {
  full_name: string;
  email: string;
}

export function ProfileForm({ user }: { user: User }) {
  const change = useChangeProfile(user.id);
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm<ProfileValues>({
    defaultValues: { full_name: user.full_name ?? "", email: user.email ?? "" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    setDone(null);
    const body: ProfileChange = {};
    const fullName = values.full_name.trim();
    const email = values.email.trim();
    if (fullName !== (user.full_name ?? "")) body.full_name = fullName;
    if (email.toLowerCase() !== (user.email ?? "").toLowerCase()) body.email = email;
    if (body.full_name === undefined && body.email === undefined) {
      setDone("Nothing has changed.");
      return;
    }
    try {
      await change.mutateAsync(body);
      setDone(
        body.email === undefined
          ? "Your profile is saved."
          : `Your profile is saved. We have sent a link to ${body.email}: open it to confirm the address.`,
      );
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["full_name", "email"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <TextField
        label="Full name"
        autoComplete="name"
        error={errors.full_name?.message}
        {...register("full_name", { required: "Enter your name." })}
      />
      <TextField
        label="E-mail address"
        type="email"
        autoComplete="email"
        hint={
          user.email_verified
            ? "Confirmed."
            : "Not confirmed yet: open the link we e-mailed to this address."
        }
        error={errors.email?.message}
        {...register("email", { required: "Enter your e-mail address." })}
      />
      <ProblemAlert error={problem} />
      {done ? (
        <p role="status" className="alert alert-success">
          {done}
        </p>
      ) : null}
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Saving…" : "Save profile"}
      </button>
    </form>
  );
}

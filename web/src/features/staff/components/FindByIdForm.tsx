// Look up an account or a user by id; goes to its staff page.
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useNavigate } from "react-router";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useFindById } from "../api/use-find-by-id";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function FindByIdForm({ mayReadProfiles }: { mayReadProfiles: boolean }) {
  const find = useFindById(mayReadProfiles);
  const navigate = useNavigate();
  const [missing, setMissing] = useState<string | null>(null);
  const { register, handleSubmit, formState } = useForm<{ id: string }>({ defaultValues: { id: "" } });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async ({ id }) => {
    setMissing(null);
    const wanted = id.trim().toLowerCase();
    try {
      const found = await find.mutateAsync(wanted);
      if (found === null) {
        setMissing(`No account or user has the id ${wanted}, or your role may not see it.`);
        return;
      }
      void navigate(`/staff/${found.kind === "account" ? "accounts" : "users"}/${found.id}`);
    } catch {
      // find.error is shown below.
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="find-heading">
      <h2 id="find-heading">Find by id</h2>
      <TextField
        label="Account or user id"
        hint="For example 3f2b8c1e-5d4a-4e7b-9c60-1a2b3c4d5e6f."
        autoComplete="off"
        spellCheck={false}
        error={errors.id?.message}
        {...register("id", {
          validate: (id) => UUID.test(id.trim()) || "An id looks like 3f2b8c1e-5d4a-4e7b-9c60-1a2b3c4d5e6f.",
        })}
      />
      <ProblemAlert error={find.error} />
      {missing ? (
        <p role="alert" className="alert alert-error">
          {missing}
        </p>
      ) : null}
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Looking…" : "Find"}
      </button>
    </form>
  );
}

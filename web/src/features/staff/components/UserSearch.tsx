// Search users by name or e-mail address (auditors and admins; Elasticsearch, so a user signed
// up a second ago may not be found yet).
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useUserSearch } from "../api/use-user-lookup";

export function UserSearch() {
  const [query, setQuery] = useState("");
  const results = useUserSearch(query);
  const { register, handleSubmit, formState } = useForm<{ q: string }>({ defaultValues: { q: "" } });
  const submit = handleSubmit(({ q }) => {
    setQuery(q.trim());
  });

  return (
    <section aria-labelledby="search-heading">
      <form onSubmit={(event) => void submit(event)} noValidate role="search" aria-labelledby="search-heading">
        <h2 id="search-heading">Search users</h2>
        <TextField
          label="Name or e-mail address"
          type="search"
          autoComplete="off"
          error={formState.errors.q?.message}
          {...register("q", { validate: (q) => q.trim() !== "" || "Type a name or an address." })}
        />
        <button type="submit">Search</button>
      </form>
      <ProblemAlert error={results.error} />
      {results.isFetching ? <p>Searching…</p> : null}
      {results.data ? (
        <div aria-live="polite">
          <p>
            {results.data.total === 1 ? "1 user found." : `${results.data.total} users found.`}
          </p>
          <ul className="card-list">
            {results.data.items.map((user) => (
              <li key={user.id} className="card">
                <Link to={`/staff/users/${user.id}`}>{user.full_name ?? "(forgotten)"}</Link>
                <div>{user.email ?? "—"}</div>
                <div className="id">{user.id}</div>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

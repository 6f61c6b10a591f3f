// /staff: look up accounts and users; auditors also search users and open any stream's audit
// trail.
import { useState } from "react";
import { Link, useNavigate } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { TextField } from "../../../components/TextField";
import { useRoles } from "../../../lib/api/api-context";
import { mayAudit, mayOperateAccounts } from "../../../lib/auth/roles";
import { FindByIdForm } from "../components/FindByIdForm";
import { UserSearch } from "../components/UserSearch";

function StreamAuditForm() {
  const navigate = useNavigate();
  const [id, setId] = useState("");
  return (
    <form
      aria-labelledby="stream-heading"
      onSubmit={(event) => {
        event.preventDefault();
        if (id.trim() !== "") void navigate(`/staff/audit/${id.trim().toLowerCase()}`);
      }}
    >
      <h2 id="stream-heading">Audit trail of any stream</h2>
      <TextField
        label="Stream id"
        hint="An account, user, payment or transfer id."
        autoComplete="off"
        spellCheck={false}
        value={id}
        onChange={(event) => {
          setId(event.target.value);
        }}
      />
      <button type="submit">Open audit trail</button>
    </form>
  );
}

export function StaffHomeRoute() {
  const roles = useRoles();
  const auditor = mayAudit(roles);
  return (
    <section>
      <PageHeading>Staff</PageHeading>
      <p>
        Signed in as {roles.filter((role) => role !== "customer").join(" and ")}.{" "}
        {mayOperateAccounts(roles)
          ? "You can freeze, unfreeze and close accounts."
          : "You can read accounts but not change them."}{" "}
        <Link to="/staff/projections">Projections status</Link>
      </p>
      <FindByIdForm mayReadProfiles={auditor} />
      {auditor ? (
        <>
          <UserSearch />
          <StreamAuditForm />
        </>
      ) : (
        <p>
          Searching users by name or e-mail address is for auditors and admins (the query API
          answers it only for them): find a user by id, or by one of their accounts.
        </p>
      )}
    </section>
  );
}

// /staff/users/:userId: a user's profile (auditors and admins) and accounts (all staff).
import { Link, useParams } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { Money } from "../../../components/Money";
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useRoles } from "../../../lib/api/api-context";
import { mayAudit } from "../../../lib/auth/roles";
import { useAccountsOf, useUserProfile } from "../api/use-user-lookup";
import { StaffUserProfile } from "../components/StaffUserProfile";

export function StaffUserRoute() {
  const { userId = "" } = useParams();
  const auditor = mayAudit(useRoles());
  const profile = useUserProfile(userId, auditor);
  const accounts = useAccountsOf(userId);
  return (
    <section>
      <p>
        <Link to="/staff">← Staff</Link>
      </p>
      <PageHeading>{profile.data?.full_name ?? "User"}</PageHeading>
      <p className="id">{userId}</p>
      {auditor ? (
        <>
          <ProblemAlert error={profile.error} />
          {profile.data ? <StaffUserProfile user={profile.data} /> : null}
          <p>
            <Link to={`/staff/audit/${userId}`}>Audit trail of this user</Link>
          </p>
        </>
      ) : (
        <p>Profiles are for auditors and admins; operators see the user&apos;s accounts.</p>
      )}
      <h2>Accounts</h2>
      {accounts.isPending ? <p>Loading the accounts…</p> : null}
      <ProblemAlert error={accounts.error} />
      {accounts.data?.length === 0 ? <p>This user has no accounts.</p> : null}
      {accounts.data && accounts.data.length > 0 ? (
        <ul className="card-list">
          {accounts.data.map((account) => (
            <li key={account.id} className="card">
              <Link to={`/staff/accounts/${account.id}`}>
                {account.currency} account, {account.status}
              </Link>
              <div>
                <Money amount={account.balance} currency={account.currency} />
              </div>
              <div className="field-hint">
                Opened <DateTime value={account.created_at} />
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

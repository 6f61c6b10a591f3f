// /staff/accounts/:accountId: any account, the operator's actions on it, and its audit trail
// for auditors.
import { Link, useParams } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useRoles } from "../../../lib/api/api-context";
import { mayAudit, mayOperateAccounts } from "../../../lib/auth/roles";
import { useStaffAccount } from "../api/use-staff-account";
import { AccountActionsForm } from "../components/AccountActionsForm";
import { StaffAccountSummary } from "../components/StaffAccountSummary";

export function StaffAccountRoute() {
  const { accountId = "" } = useParams();
  const account = useStaffAccount(accountId);
  const roles = useRoles();
  return (
    <section>
      <p>
        <Link to="/staff">← Staff</Link>
      </p>
      <PageHeading>{account.data ? `${account.data.currency} account` : "Account"}</PageHeading>
      <p className="id">{accountId}</p>
      {account.isPending ? <p>Loading the account…</p> : null}
      <ProblemAlert error={account.error} />
      {account.data ? (
        <>
          <StaffAccountSummary account={account.data} />
          {mayAudit(roles) ? (
            <p>
              <Link to={`/staff/audit/${accountId}`}>Audit trail of this account</Link>
            </p>
          ) : null}
          {mayOperateAccounts(roles) ? (
            <section aria-labelledby="actions-heading">
              <h2 id="actions-heading">Operator actions</h2>
              <AccountActionsForm
                account={account.data}
                onReload={() => void account.refetch()}
              />
            </section>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

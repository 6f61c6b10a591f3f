// /accounts/:accountId: one account's balance and status, and the deposit form.
import { Link, useParams } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useAccount } from "../api/use-account";
import { AccountSummary } from "../components/AccountSummary";
import { DepositForm } from "../components/DepositForm";

export function AccountRoute() {
  const { accountId = "" } = useParams();
  const account = useAccount(accountId);
  return (
    <section>
      <p>
        <Link to="/accounts">← All accounts</Link>
      </p>
      <PageHeading>{account.data ? `${account.data.currency} account` : "Account"}</PageHeading>
      {account.isPending ? <p>Loading the account…</p> : null}
      <ProblemAlert error={account.error} />
      {account.data ? (
        <>
          <AccountSummary account={account.data} />
          {account.data.status === "closed" ? (
            <p>This account is closed.</p>
          ) : (
            <DepositForm
              accountId={account.data.id}
              ownerId={account.data.owner_id}
              currency={account.data.currency}
            />
          )}
        </>
      ) : null}
    </section>
  );
}

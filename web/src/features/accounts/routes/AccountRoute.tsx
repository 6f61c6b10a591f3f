// /accounts/:accountId: one account's balance, status and number; moving money (deposit,
// withdraw, transfer); paying a merchant from it; its statement and its payments.
import { Link, useParams } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useAccount } from "../api/use-account";
import { AccountPayments } from "../components/AccountPayments";
import { AccountSummary } from "../components/AccountSummary";
import { MoveMoney } from "../components/MoveMoney";
import { Statement } from "../components/Statement";

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
            <>
              <MoveMoney
                accountId={account.data.id}
                ownerId={account.data.owner_id}
                currency={account.data.currency}
              />
              <p>
                <Link to={`/payments/new?from=${account.data.id}`}>
                  Pay a merchant from this account
                </Link>
              </p>
            </>
          )}
          <Statement accountId={account.data.id} accountVersion={account.data.version} />
          <AccountPayments accountId={account.data.id} />
        </>
      ) : null}
    </section>
  );
}

// /accounts: the signed-in user's accounts with their balances, and opening a new one.
import { useNavigate } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { useUserAccounts } from "../api/use-user-accounts";
import { AccountList } from "../components/AccountList";
import { OpenAccountForm } from "../components/OpenAccountForm";

export function AccountsRoute() {
  const userId = useSignedInUserId();
  const accounts = useUserAccounts(userId);
  const navigate = useNavigate();
  return (
    <section>
      <PageHeading>Your accounts</PageHeading>
      {accounts.isPending ? <p>Loading your accounts…</p> : null}
      <ProblemAlert error={accounts.error} />
      {accounts.data ? <AccountList accounts={accounts.data} /> : null}
      <h2>Open an account</h2>
      <OpenAccountForm
        ownerId={userId}
        onOpened={(accountId) => void navigate(`/accounts/${accountId}`)}
      />
    </section>
  );
}

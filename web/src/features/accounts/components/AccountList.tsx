// The user's accounts, each with its balance, linking to its page.
import { Link } from "react-router";

import { Money } from "../../../components/Money";
import type { Account } from "../api/use-user-accounts";

export function AccountList({ accounts }: { accounts: readonly Account[] }) {
  if (accounts.length === 0) {
    return <p>You have no accounts yet. Open one below.</p>;
  }
  return (
    <ul className="account-list">
      {accounts.map((account) => (
        <li key={account.id}>
          <Link to={`/accounts/${account.id}`} className="account-link">
            <span className="account-currency">{account.currency} account</span>
            <span className="account-balance">
              <Money amount={account.balance} currency={account.currency} />
            </span>
            {account.status === "open" ? null : (
              <span className="account-status">{account.status}</span>
            )}
          </Link>
        </li>
      ))}
    </ul>
  );
}

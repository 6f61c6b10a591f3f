// An account's balance, available funds, status and number (which others need to pay into it).
import { Money } from "../../../components/Money";
import type { Account } from "../api/use-user-accounts";

export function AccountSummary({ account }: { account: Account }) {
  return (
    <dl className="summary">
      <div>
        <dt>Balance</dt>
        <dd data-testid="balance">
          <Money amount={account.balance} currency={account.currency} />
        </dd>
      </div>
      <div>
        <dt>Available</dt>
        <dd>
          <Money amount={account.available} currency={account.currency} />
        </dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>{account.status}</dd>
      </div>
      <div className="summary-wide">
        <dt>Account number</dt>
        <dd className="account-number" data-testid="account-number">
          {account.id}
        </dd>
      </div>
    </dl>
  );
}

// An account's balance, available funds and status.
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
    </dl>
  );
}

// An account as staff see it: money, status, owner and version.
import { Link } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { Money } from "../../../components/Money";
import type { Account } from "../api/use-staff-account";

export function StaffAccountSummary({ account }: { account: Account }) {
  return (
    <dl className="pairs">
      <dt>Status</dt>
      <dd data-testid="account-status">{account.status}</dd>
      <dt>Balance</dt>
      <dd>
        <Money amount={account.balance} currency={account.currency} />
      </dd>
      <dt>Available</dt>
      <dd>
        <Money amount={account.available} currency={account.currency} />
      </dd>
      <dt>Held</dt>
      <dd>
        <Money amount={account.held} currency={account.currency} />
      </dd>
      <dt>Owner</dt>
      <dd>
        <Link to={`/staff/users/${account.owner_id}`} className="id">
          {account.owner_id}
        </Link>
      </dd>
      <dt>Version</dt>
      <dd>{account.version}</dd>
      <dt>Last change</dt>
      <dd>
        <DateTime value={account.updated_at} />
      </dd>
    </dl>
  );
}

// A payment's facts: who is paid what for what, how much is captured and refunded, its status,
// and which side of it the signed-in user is on.
import { Link } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { Money } from "../../../components/Money";
import type { Payment } from "../api/use-payment";
import { STATUS_LABELS } from "../search-filters";

export interface PaymentRole {
  payer: boolean;
  payee: boolean;
}

function AccountRef({ id, yours }: { id: string; yours: boolean }) {
  return yours ? (
    <Link to={`/accounts/${id}`} className="account-number">
      Your account {id}
    </Link>
  ) : (
    <span className="account-number">{id}</span>
  );
}

export function PaymentDetails({ payment, role }: { payment: Payment; role: PaymentRole }) {
  return (
    <dl className="summary">
      <div>
        <dt>Amount</dt>
        <dd data-testid="payment-amount">
          <Money amount={payment.amount} currency={payment.currency} />
        </dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd data-testid="payment-status">{STATUS_LABELS[payment.status]}</dd>
      </div>
      <div>
        <dt>Captured</dt>
        <dd data-testid="payment-captured">
          <Money amount={payment.captured} currency={payment.currency} />
        </dd>
      </div>
      <div>
        <dt>Refunded</dt>
        <dd data-testid="payment-refunded">
          <Money amount={payment.refunded} currency={payment.currency} />
        </dd>
      </div>
      <div className="summary-wide">
        <dt>Description</dt>
        <dd>{payment.description || "—"}</dd>
      </div>
      <div className="summary-wide">
        <dt>Paid from</dt>
        <dd>
          <AccountRef id={payment.payer_account_id} yours={role.payer} />
        </dd>
      </div>
      <div className="summary-wide">
        <dt>Paid to</dt>
        <dd>
          <AccountRef id={payment.payee_account_id} yours={role.payee} />
        </dd>
      </div>
      <div className="summary-plain">
        <dt>Created</dt>
        <dd>
          <DateTime value={payment.created_at} />
        </dd>
      </div>
      <div className="summary-plain">
        <dt>Last change</dt>
        <dd>
          <DateTime value={payment.updated_at} />
        </dd>
      </div>
    </dl>
  );
}

// Payments found, each linking to its page: merchant, amount, status, when, and whether the
// signed-in user paid or was paid.
import { Link } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { Money } from "../../../components/Money";
import type { Payment } from "../api/use-payment";
import { STATUS_LABELS } from "../search-filters";

export function PaymentList({
  payments,
  ownAccountIds,
}: {
  payments: readonly Payment[];
  ownAccountIds: ReadonlySet<string>;
}) {
  return (
    <ul className="item-list" aria-label="Payments">
      {payments.map((payment) => {
        const side = ownAccountIds.has(payment.payee_account_id) ? "Paid to you" : "You paid";
        return (
          <li key={payment.id}>
            <div className="item-head">
              <Link to={`/payments/${payment.id}`}>{payment.merchant ?? "Payment"}</Link>
              <Money amount={payment.amount} currency={payment.currency} />
            </div>
            {payment.description ? <div>{payment.description}</div> : null}
            <div className="item-meta">
              <span className="status-badge">{STATUS_LABELS[payment.status]}</span> {side} ·{" "}
              <DateTime value={payment.created_at} />
            </div>
          </li>
        );
      })}
    </ul>
  );
}

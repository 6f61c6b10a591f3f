// Inbox lines: what happened (the API's sentence), when, and a link to the payment or account
// it is about; a line not read yet is marked "New" (in words, not by weight alone).
import { Link } from "react-router";

import { DateTime } from "../../../components/DateTime";
import type { Notification } from "../api/use-notifications";

export function NotificationList({ notifications }: { notifications: readonly Notification[] }) {
  return (
    <ol className="item-list" aria-label="Notifications">
      {notifications.map((notification) => (
        <li key={notification.id} className={notification.read ? undefined : "unread"}>
          <div>
            {notification.read ? null : <span className="status-badge">New</span>}{" "}
            {notification.message}
          </div>
          <div className="item-meta">
            <DateTime value={notification.created_at} />
            {notification.payment_id ? (
              <>
                {" · "}
                <Link to={`/payments/${notification.payment_id}`}>The payment</Link>
              </>
            ) : notification.account_id ? (
              <>
                {" · "}
                <Link to={`/accounts/${notification.account_id}`}>The account</Link>
              </>
            ) : null}
          </div>
        </li>
      ))}
    </ol>
  );
}

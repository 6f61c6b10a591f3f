// /notifications: the signed-in user's inbox, newest first, with "Load more", a refresh, and
// "Mark all as read" (up to the newest line shown: one that arrives meanwhile stays new).
import { LoadMore } from "../../../components/LoadMore";
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { useMarkNotificationsRead, useNotifications } from "../api/use-notifications";
import { NotificationList } from "../components/NotificationList";

export function NotificationsRoute() {
  const userId = useSignedInUserId();
  const inbox = useNotifications(userId);
  const markRead = useMarkNotificationsRead(userId);
  const notifications = inbox.data?.pages.flatMap((page) => page.items) ?? [];
  const newest = notifications[0];
  const unread = notifications.some((notification) => !notification.read);
  return (
    <section>
      <PageHeading>Notifications</PageHeading>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          aria-disabled={inbox.isFetching}
          onClick={() => {
            if (!inbox.isFetching) void inbox.refetch();
          }}
        >
          {inbox.isFetching && !inbox.isFetchingNextPage ? "Checking…" : "Check for new ones"}
        </button>
        {newest && unread ? (
          <button
            type="button"
            className="secondary"
            aria-disabled={markRead.isPending}
            onClick={() => {
              if (!markRead.isPending) markRead.mutate(newest.position);
            }}
          >
            {markRead.isPending ? "Marking…" : "Mark all as read"}
          </button>
        ) : null}
      </div>
      <ProblemAlert error={markRead.error} />
      {inbox.isPending ? <p>Loading your notifications…</p> : null}
      <ProblemAlert error={inbox.error} />
      {inbox.data && notifications.length === 0 ? <p>Nothing has happened yet.</p> : null}
      {notifications.length > 0 ? <NotificationList notifications={notifications} /> : null}
      {inbox.data ? (
        <LoadMore
          shown={notifications.length}
          noun={["notification", "notifications"]}
          hasMore={inbox.hasNextPage}
          loading={inbox.isFetchingNextPage}
          onLoadMore={() => void inbox.fetchNextPage()}
        />
      ) : null}
    </section>
  );
}

// /notifications: the signed-in user's inbox, newest first, with "Load more" and a refresh.
import { LoadMore } from "../../../components/LoadMore";
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { useNotifications } from "../api/use-notifications";
import { NotificationList } from "../components/NotificationList";

export function NotificationsRoute() {
  const userId = useSignedInUserId();
  const inbox = useNotifications(userId);
  const notifications = inbox.data?.pages.flatMap((page) => page.items) ?? [];
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
      </div>
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

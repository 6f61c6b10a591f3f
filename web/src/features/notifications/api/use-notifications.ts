// The signed-in user's notification inbox (GET /v1/users/{id}/notifications): lines about the
// user and their accounts, newest first, a page at a time. (The API keeps no read/unread state
// and has no "mark as read": the inbox is a history.)
import { useInfiniteQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type Notification = components["schemas"]["NotificationPublic"];

export const NOTIFICATIONS_PAGE_SIZE = 20;

export function useNotifications(userId: string) {
  const { read } = useApi();
  return useInfiniteQuery({
    queryKey: queryKeys.notifications(userId),
    queryFn: ({ pageParam }) =>
      dataOf(
        read.GET("/v1/users/{user_id}/notifications", {
          params: {
            path: { user_id: userId },
            query: { limit: NOTIFICATIONS_PAGE_SIZE, cursor: pageParam },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

// The signed-in user's notification inbox (GET /v1/users/{id}/notifications): lines about the
// user and their accounts, newest first, a page at a time, each `read` or not against the
// user's read mark; and moving that mark (POST /v1/users/{id}/notifications/read). The mark is
// on the user's stream, so the inbox is read at the version the mark was written at.
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type Notification = components["schemas"]["NotificationPublic"];

export const NOTIFICATIONS_PAGE_SIZE = 20;

export function useNotifications(userId: string) {
  const { read, versions } = useApi();
  return useInfiniteQuery({
    queryKey: queryKeys.notifications(userId),
    queryFn: ({ pageParam }) =>
      dataOf(
        read.GET("/v1/users/{user_id}/notifications", {
          params: {
            path: { user_id: userId },
            query: {
              limit: NOTIFICATIONS_PAGE_SIZE,
              cursor: pageParam,
              min_version: versions.minVersion(userId),
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** Mark every line up to `position` (the newest shown) read, then read the inbox again. */
export function useMarkNotificationsRead(userId: string) {
  const { write, versions } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (position: number) =>
      dataOf(
        write.POST("/v1/users/{user_id}/notifications/read", {
          body: { up_to_position: position },
          params: { path: { user_id: userId } },
        }),
      ),
    onSuccess: async ({ id, version }) => {
      versions.wrote(id, version);
      await queryClient.invalidateQueries({ queryKey: queryKeys.notifications(userId) });
    },
  });
}

// Which e-mails the user gets and in which language (GET and PUT
// /v1/users/{id}/notification-preferences).
import { useMutation, useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components as read } from "../../../lib/generated/read-api";
import type { components as write } from "../../../lib/generated/write-api";
import { useUserWritten } from "./user-written";

export type NotificationPreferences = read["schemas"]["NotificationPreferencesPublic"];
export type NotificationPreferencesChange = write["schemas"]["NotificationPreferencesUpdate"];

export function useNotificationPreferences(userId: string) {
  const { read, versions } = useApi();
  return useQuery({
    queryKey: queryKeys.notificationPreferences(userId),
    queryFn: () =>
      dataOf(
        read.GET("/v1/users/{user_id}/notification-preferences", {
          params: { path: { user_id: userId }, query: { min_version: versions.minVersion(userId) } },
        }),
      ),
  });
}

export function useChangeNotificationPreferences(userId: string) {
  const { write } = useApi();
  const written = useUserWritten(userId);
  return useMutation({
    mutationFn: (body: NotificationPreferencesChange) =>
      dataOf(
        write.PUT("/v1/users/{user_id}/notification-preferences", {
          body,
          params: { path: { user_id: userId } },
        }),
      ),
    onSuccess: written,
  });
}

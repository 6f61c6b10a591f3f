// Users for staff: a profile (GET /v1/users/{id}: auditors and admins), a user's accounts
// (GET /v1/users/{id}/accounts: operators too) and the user search (GET /v1/search/users:
// auditors and admins).
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type User = components["schemas"]["UserPublic"];

export function useUserProfile(userId: string, enabled: boolean) {
  const { read, versions } = useApi();
  return useQuery({
    queryKey: queryKeys.user(userId),
    queryFn: () =>
      dataOf(
        read.GET("/v1/users/{user_id}", {
          params: { path: { user_id: userId }, query: { min_version: versions.minVersion(userId) } },
        }),
      ),
    enabled,
  });
}

export function useAccountsOf(userId: string) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.userAccounts(userId),
    queryFn: async () =>
      (
        await dataOf(
          read.GET("/v1/users/{user_id}/accounts", { params: { path: { user_id: userId } } }),
        )
      ).items,
  });
}

export function useUserSearch(query: string) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.userSearch(query),
    queryFn: () =>
      dataOf(read.GET("/v1/search/users", { params: { query: { q: query, limit: 20 } } })),
    enabled: query !== "",
  });
}

// A user's accounts (GET /v1/users/{id}/accounts), oldest first. Shared: the accounts pages list
// them, and the payments pages need them to offer a payer account and to tell whether the
// signed-in user is a payment's payer or payee (features do not import each other).
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../api/api-context";
import { queryKeys } from "../api/query-keys";
import { dataOf } from "../api/result";
import type { components } from "../generated/read-api";

export type Account = components["schemas"]["AccountPublic"];

export function useUserAccounts(userId: string) {
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

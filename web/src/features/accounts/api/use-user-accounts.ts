// The signed-in user's accounts (GET /v1/users/{id}/accounts), oldest first.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

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

// The signed-in user's profile (GET /v1/users/{id}): name, address and whether it is confirmed,
// whether a second factor is on; read at least at the version this console last wrote.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type User = components["schemas"]["UserPublic"];

export function useUser(userId: string) {
  const { read, versions } = useApi();
  return useQuery({
    queryKey: queryKeys.user(userId),
    queryFn: () =>
      dataOf(
        read.GET("/v1/users/{user_id}", {
          params: { path: { user_id: userId }, query: { min_version: versions.minVersion(userId) } },
        }),
      ),
  });
}

// Any account, for staff (GET /v1/accounts/{id}: operators, auditors and admins read every
// account), read at least at the version this console last wrote to it.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type Account = components["schemas"]["AccountPublic"];

export function useStaffAccount(accountId: string) {
  const { read, versions } = useApi();
  return useQuery({
    queryKey: queryKeys.account(accountId),
    queryFn: () =>
      dataOf(
        read.GET("/v1/accounts/{account_id}", {
          params: {
            path: { account_id: accountId },
            query: { min_version: versions.minVersion(accountId) },
          },
        }),
      ),
  });
}

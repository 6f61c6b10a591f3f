// One account (GET /v1/accounts/{id}), read at least at the version this console last wrote
// to it (min_version), so a deposit just made is never missing from the balance.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";

export function useAccount(accountId: string) {
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

// An account's statement lines (GET /v1/accounts/{id}/entries), newest first, a page at a time
// (cursor paging). Keyed by the account version shown beside them: the projector writes an
// account's lines before its document, so once the account reads at version N (min_version)
// the lines up to N are there, and a new version starts the statement again from the top.
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type Entry = components["schemas"]["EntryPublic"];

export const ENTRIES_PAGE_SIZE = 20;

export function useAccountEntries(accountId: string, accountVersion: number | undefined) {
  const { read } = useApi();
  return useInfiniteQuery({
    queryKey: queryKeys.accountEntries(accountId, accountVersion),
    queryFn: ({ pageParam }) =>
      dataOf(
        read.GET("/v1/accounts/{account_id}/entries", {
          params: {
            path: { account_id: accountId },
            query: { limit: ENTRIES_PAGE_SIZE, cursor: pageParam },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled: accountVersion !== undefined,
    placeholderData: keepPreviousData,
  });
}

// Payment search (GET /v1/search/payments): full text over description and merchant, filters,
// facet counts of the whole result, a page at a time. The API searches only payments where one
// of the caller's accounts pays or is paid, so with no filters this is the user's payments
// list, newest first; with `account_id`, one account's. The index trails the commands by about
// a second.
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";
import { amountForApi } from "../../../lib/money/money";
import type { PaymentFilters } from "../search-filters";

export type PaymentSearchResults = components["schemas"]["PaymentSearchResults"];

export const SEARCH_PAGE_SIZE = 20;

function amount(digits: string | undefined): number | undefined {
  return digits === undefined ? undefined : amountForApi(BigInt(digits));
}

export function usePaymentSearch(filters: PaymentFilters) {
  const { read } = useApi();
  return useInfiniteQuery({
    queryKey: queryKeys.paymentSearch(filters),
    queryFn: ({ pageParam }) =>
      dataOf(
        read.GET("/v1/search/payments", {
          params: {
            query: {
              q: filters.q,
              status: filters.status,
              currency: filters.currency,
              min_amount: amount(filters.min_amount),
              max_amount: amount(filters.max_amount),
              account_id: filters.account_id,
              limit: SEARCH_PAGE_SIZE,
              cursor: pageParam,
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

// An endpoint's delivery log (GET /v1/webhooks/{id}/deliveries): newest first, each delivery
// with its attempts, a page at a time. While a delivery is still pending the log re-reads
// itself every few seconds, so an attempt shows up without a reload.
import { useInfiniteQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type Delivery = components["schemas"]["DeliveryOut"];

export const DELIVERIES_PAGE_SIZE = 20;
const PENDING_POLL_MS = 2_000;

export function useWebhookDeliveries(endpointId: string) {
  const { read } = useApi();
  return useInfiniteQuery({
    queryKey: queryKeys.webhookDeliveries(endpointId),
    queryFn: ({ pageParam }) =>
      dataOf(
        read.GET("/v1/webhooks/{endpoint_id}/deliveries", {
          params: {
            path: { endpoint_id: endpointId },
            query: { limit: DELIVERIES_PAGE_SIZE, cursor: pageParam },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.items.some((d) => d.status === "pending"))
        ? PENDING_POLL_MS
        : false,
  });
}

// The event types an endpoint can subscribe to (GET /v1/webhooks/event-types).
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";

export function useWebhookEventTypes() {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.webhookEventTypes(),
    queryFn: async () =>
      (await dataOf(read.GET("/v1/webhooks/event-types"))).items.map((item) => item.type),
    staleTime: Infinity,
  });
}

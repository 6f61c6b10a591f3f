// The signed-in user's webhook endpoints (GET /v1/webhooks), oldest first. Endpoints live in the
// notification service's own tables, not a read model: one just registered is listed at once.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type Endpoint = components["schemas"]["EndpointOut"];

export function useWebhookEndpoints() {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.webhookEndpoints(),
    queryFn: async () => (await dataOf(read.GET("/v1/webhooks"))).items,
  });
}

// One webhook endpoint (GET /v1/webhooks/{id}); its secret is never shown again.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";

export function useWebhookEndpoint(endpointId: string) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.webhookEndpoint(endpointId),
    queryFn: () =>
      dataOf(
        read.GET("/v1/webhooks/{endpoint_id}", { params: { path: { endpoint_id: endpointId } } }),
      ),
  });
}

// Changes to webhook endpoints (write API): register, enable or disable, delete, rotate the
// signing secret, send a test ping, retry a delivery. One hook per endpoint of the API.
//
// Registration carries the form submission's Idempotency-Key and is retried on transient
// failures (502/503/504, network): a repeat gets the first answer, the same endpoint and secret,
// never a second endpoint. The other changes are single clicks that are not retried by
// themselves; a request that got no answer is left for the person to check and repeat.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { retryTransient } from "../../../lib/api/retry";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/write-api";

export type EndpointCreate = components["schemas"]["EndpointCreate"];

/** Re-read the endpoints: the list, and each endpoint's page and log. */
function useRefreshEndpoints() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: queryKeys.webhookEndpoints() });
}

export function useCreateWebhookEndpoint() {
  const { write } = useApi();
  const refresh = useRefreshEndpoints();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: EndpointCreate; idempotencyKey: string }) =>
      dataOf(
        write.POST("/v1/webhooks", {
          body,
          params: { header: { "Idempotency-Key": idempotencyKey } },
        }),
      ),
    retry: retryTransient,
    onSuccess: () => refresh(),
  });
}

export function useSetWebhookEndpointEnabled(endpointId: string) {
  const { write } = useApi();
  const refresh = useRefreshEndpoints();
  return useMutation({
    mutationFn: (enabled: boolean) =>
      dataOf(
        write.PATCH("/v1/webhooks/{endpoint_id}", {
          body: { enabled },
          params: { path: { endpoint_id: endpointId } },
        }),
      ),
    onSuccess: () => refresh(),
  });
}

export function useDeleteWebhookEndpoint(endpointId: string) {
  const { write } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      dataOf(
        write.DELETE("/v1/webhooks/{endpoint_id}", {
          params: { path: { endpoint_id: endpointId } },
        }),
      ),
    onSuccess: () => {
      // Gone: its page and log are not to be read again (they would be 404s).
      queryClient.removeQueries({ queryKey: queryKeys.webhookEndpoint(endpointId) });
      return queryClient.invalidateQueries({
        queryKey: queryKeys.webhookEndpoints(),
        exact: true,
      });
    },
  });
}

export function useRotateWebhookSecret(endpointId: string) {
  const { write } = useApi();
  return useMutation({
    mutationFn: () =>
      dataOf(
        write.POST("/v1/webhooks/{endpoint_id}/rotate-secret", {
          params: { path: { endpoint_id: endpointId } },
        }),
      ),
  });
}

export function useSendWebhookTest(endpointId: string) {
  const { write } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      dataOf(
        write.POST("/v1/webhooks/{endpoint_id}/test", {
          params: { path: { endpoint_id: endpointId } },
        }),
      ),
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(endpointId) }),
  });
}

export function useRetryWebhookDelivery(endpointId: string) {
  const { write } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      dataOf(
        write.POST("/v1/webhooks/{endpoint_id}/deliveries/{delivery}/retry", {
          params: { path: { endpoint_id: endpointId, delivery: deliveryId } },
        }),
      ),
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(endpointId) }),
  });
}

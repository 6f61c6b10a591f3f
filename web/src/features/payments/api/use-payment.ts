// One payment (GET /v1/payments/{id}), read at least at the version this console last wrote to
// it (min_version), so a capture or refund just made is never missing.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type Payment = components["schemas"]["PaymentPublic"];
export type PaymentStatus = Payment["status"];

export function usePayment(paymentId: string) {
  const { read, versions } = useApi();
  return useQuery({
    queryKey: queryKeys.payment(paymentId),
    queryFn: () =>
      dataOf(
        read.GET("/v1/payments/{payment_id}", {
          params: {
            path: { payment_id: paymentId },
            query: { min_version: versions.minVersion(paymentId) },
          },
        }),
      ),
  });
}

// Pay a merchant (POST /v1/payments): authorises the payment, holding the amount on the payer's
// account until the merchant captures or voids it. One Idempotency-Key per submission.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import type { components } from "../../../lib/generated/write-api";

export type PaymentBody = components["schemas"]["PaymentCreate"];

export function useAuthorizePayment() {
  const { write, versions } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: PaymentBody; idempotencyKey: string }) =>
      dataOf(
        write.POST("/v1/payments", {
          body,
          params: { header: { "Idempotency-Key": idempotencyKey } },
        }),
      ),
    retry: retryTransient,
    onSuccess: (authorized, { body }) => {
      versions.wroteAll(authorized);
      void queryClient.invalidateQueries({ queryKey: queryKeys.account(body.payer_account_id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.paymentSearch() });
    },
  });
}

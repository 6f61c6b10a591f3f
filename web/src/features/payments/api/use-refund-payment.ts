// Refund part or all of a captured payment (POST /v1/payments/{id}/refunds); only its payee
// may. If-Match and Idempotency-Key: see payment-command.ts.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import type { components } from "../../../lib/generated/write-api";
import { commandHeaders, type PaymentCommand } from "./payment-command";
import { useSettlePaymentCommand } from "./settle-payment-command";

export type RefundBody = components["schemas"]["RefundCreate"];

export function useRefundPayment(accountIds: readonly string[]) {
  const { write } = useApi();
  const settle = useSettlePaymentCommand();
  return useMutation({
    mutationFn: (command: PaymentCommand & { body: RefundBody }) =>
      dataOf(
        write.POST("/v1/payments/{payment_id}/refunds", {
          body: command.body,
          params: { path: { payment_id: command.paymentId }, header: commandHeaders(command) },
        }),
      ),
    retry: retryTransient,
    onSuccess: (refunded, { paymentId }) => settle(refunded, paymentId, accountIds),
  });
}

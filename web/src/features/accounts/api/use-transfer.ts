// Transfer from an account to another (POST /v1/transfers) with the submission's
// Idempotency-Key; then re-reads the source account at the version the transfer gave it (the
// response names every stream it wrote: both accounts and the transfer). No If-Match, for the
// reason use-withdraw gives (and a transfer creates an aggregate, which has no version yet).
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { ApiError } from "../../../lib/api/problem";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import type { components } from "../../../lib/generated/write-api";
import { useRefreshAccount, useSettleAccountCommand } from "./use-settle-account-command";

export type TransferBody = components["schemas"]["TransferCreate"];

export function useTransfer(ownerId: string) {
  const { write } = useApi();
  const settle = useSettleAccountCommand();
  const refresh = useRefreshAccount();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: TransferBody; idempotencyKey: string }) =>
      dataOf(
        write.POST("/v1/transfers", {
          body,
          params: { header: { "Idempotency-Key": idempotencyKey } },
        }),
      ),
    retry: retryTransient,
    onSuccess: (transferred, { body }) =>
      settle(transferred, [body.from_account_id, body.to_account_id], ownerId),
    onError: (error, { body }) => {
      if (error instanceof ApiError && error.status === 409) refresh(body.from_account_id);
    },
  });
}

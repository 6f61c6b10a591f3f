// Withdraw from an account (POST /v1/accounts/{id}/withdrawals) with the submission's
// Idempotency-Key, so a double click or a retry withdraws once; then re-reads the account at the
// version the withdrawal returned. A refusal (409: not enough available, a frozen account)
// re-reads the account too, so the page shows why.
//
// No If-Match: whether a withdrawal may go ahead depends on the available balance at the moment
// it is applied, which the API checks atomically; pinning the version the page showed would
// refuse it whenever anything else (a deposit, a hold) touched the account meanwhile, for no
// gain. The Idempotency-Key is what keeps one submission from applying twice.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { ApiError } from "../../../lib/api/problem";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import type { components } from "../../../lib/generated/write-api";
import { useRefreshAccount, useSettleAccountCommand } from "./use-settle-account-command";

export type WithdrawBody = components["schemas"]["MoneyMovement"];

export function useWithdraw(accountId: string, ownerId: string) {
  const { write } = useApi();
  const settle = useSettleAccountCommand();
  const refresh = useRefreshAccount();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: WithdrawBody; idempotencyKey: string }) =>
      dataOf(
        write.POST("/v1/accounts/{account_id}/withdrawals", {
          body,
          params: {
            path: { account_id: accountId },
            header: { "Idempotency-Key": idempotencyKey },
          },
        }),
      ),
    retry: retryTransient,
    onSuccess: (withdrawn) => settle(withdrawn, [accountId], ownerId),
    onError: (error) => {
      if (error instanceof ApiError && error.status === 409) refresh(accountId);
    },
  });
}

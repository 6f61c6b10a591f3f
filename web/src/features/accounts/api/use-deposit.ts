// Deposit into an account (POST /v1/accounts/{id}/deposits) with the submission's
// Idempotency-Key; then re-reads the account at the version the deposit returned, so the
// mutation settles only once the new balance is on screen.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import type { components } from "../../../lib/generated/write-api";
import { useSettleAccountCommand } from "./use-settle-account-command";

export type DepositBody = components["schemas"]["MoneyMovement"];

export function useDeposit(accountId: string, ownerId: string) {
  const { write } = useApi();
  const settle = useSettleAccountCommand();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: DepositBody; idempotencyKey: string }) =>
      dataOf(
        write.POST("/v1/accounts/{account_id}/deposits", {
          body,
          params: {
            path: { account_id: accountId },
            header: { "Idempotency-Key": idempotencyKey },
          },
        }),
      ),
    retry: retryTransient,
    onSuccess: (deposited) => settle(deposited, [accountId], ownerId),
  });
}

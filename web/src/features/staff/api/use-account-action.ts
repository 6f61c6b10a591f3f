// An operator's action on an account: freeze, unfreeze or close, with a reason. Each carries
// the account version the operator was looking at (If-Match: a change meanwhile is a 412, not
// a decision taken on stale facts) and the submission's Idempotency-Key; then the account is
// re-read at the version the command returned.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";

export type AccountAction = "freeze" | "unfreeze" | "close";

export interface AccountActionRequest {
  action: AccountAction;
  reason: string;
  seenVersion: number;
  idempotencyKey: string;
}

export function useAccountAction(accountId: string) {
  const { write, versions } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ action, reason, seenVersion, idempotencyKey }: AccountActionRequest) => {
      const params = {
        path: { account_id: accountId },
        header: { "Idempotency-Key": idempotencyKey, "If-Match": `"${seenVersion}"` },
      };
      const body = { reason };
      switch (action) {
        case "freeze":
          return dataOf(write.POST("/v1/accounts/{account_id}/freeze", { body, params }));
        case "unfreeze":
          return dataOf(write.POST("/v1/accounts/{account_id}/unfreeze", { body, params }));
        case "close":
          return dataOf(write.POST("/v1/accounts/{account_id}/close", { body, params }));
      }
    },
    retry: retryTransient,
    onSuccess: async ({ id, version }) => {
      versions.wrote(id, version);
      await queryClient.invalidateQueries({ queryKey: queryKeys.account(accountId) });
    },
  });
}

// Open an account (POST /v1/accounts) with the submission's Idempotency-Key; remembers the
// new account's version for read-your-writes and refreshes the account list.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import type { components } from "../../../lib/generated/write-api";

export type OpenAccountBody = components["schemas"]["AccountOpen"];

export function useOpenAccount() {
  const { write, versions } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: OpenAccountBody; idempotencyKey: string }) =>
      dataOf(
        write.POST("/v1/accounts", {
          body,
          params: { header: { "Idempotency-Key": idempotencyKey } },
        }),
      ),
    retry: retryTransient,
    onSuccess: (opened, { body }) => {
      versions.wrote(opened.id, opened.version);
      void queryClient.invalidateQueries({ queryKey: queryKeys.userAccounts(body.owner_id) });
    },
  });
}

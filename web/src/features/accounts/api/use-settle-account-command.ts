// What every money command on an account does once the API accepted it: remember the version
// of each stream it wrote (read-your-writes), then re-read the accounts it moved at those
// versions, so the command settles only once the new balances are on screen. The statement
// follows the account's version by itself (use-account-entries).
import { useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import type { components } from "../../../lib/generated/write-api";

export type CommandResponse = components["schemas"]["CommandResponse"];

export function useSettleAccountCommand() {
  const { versions } = useApi();
  const queryClient = useQueryClient();
  return async (result: CommandResponse, accountIds: readonly string[], ownerId: string) => {
    versions.wroteAll(result);
    await Promise.all(
      accountIds.map((id) => queryClient.invalidateQueries({ queryKey: queryKeys.account(id) })),
    );
    void queryClient.invalidateQueries({ queryKey: queryKeys.userAccounts(ownerId) });
    void queryClient.invalidateQueries({ queryKey: queryKeys.notifications(ownerId) });
  };
}

/** After a refusal (409: not enough money, a frozen account), the account as it is now. */
export function useRefreshAccount() {
  const queryClient = useQueryClient();
  return (accountId: string) =>
    void queryClient.invalidateQueries({ queryKey: queryKeys.account(accountId) });
}

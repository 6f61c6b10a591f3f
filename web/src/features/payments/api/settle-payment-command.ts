// What every payment command does once the API accepted it: remember the version of each
// stream it wrote (the payment and the accounts it moved money between), then re-read the
// payment at its new version, so the command settles only once the page shows it. The accounts
// and searches are refreshed in the background.
import { useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import type { components } from "../../../lib/generated/write-api";

export type CommandResponse = components["schemas"]["CommandResponse"];

export function useSettlePaymentCommand() {
  const { versions } = useApi();
  const queryClient = useQueryClient();
  return async (result: CommandResponse, paymentId: string, accountIds: readonly string[]) => {
    versions.wroteAll(result);
    for (const id of accountIds) {
      void queryClient.invalidateQueries({ queryKey: queryKeys.account(id) });
    }
    void queryClient.invalidateQueries({ queryKey: queryKeys.paymentSearch() });
    await queryClient.invalidateQueries({ queryKey: queryKeys.payment(paymentId) });
  };
}

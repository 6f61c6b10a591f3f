// After a command on the user's stream: remember its version (read-your-writes) and re-read
// what shows the user, waiting for the profile so the page never shows the old state.
import { useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";

export function useUserWritten(userId: string) {
  const { versions } = useApi();
  const queryClient = useQueryClient();
  return async ({ id, version }: { id: string; version: number }) => {
    versions.wrote(id, version);
    void queryClient.invalidateQueries({ queryKey: queryKeys.notificationPreferences(userId) });
    await queryClient.invalidateQueries({ queryKey: queryKeys.user(userId) });
  };
}

// Change the password (POST /v1/users/{id}/password): the current one is required, and every
// other session of the user is revoked.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/write-api";

export type PasswordChange = components["schemas"]["PasswordChange"];

export function useChangePassword(userId: string) {
  const { write, versions } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: PasswordChange) =>
      dataOf(
        write.POST("/v1/users/{user_id}/password", { body, params: { path: { user_id: userId } } }),
      ),
    onSuccess: ({ id, version }) => {
      versions.wrote(id, version);
      void queryClient.invalidateQueries({ queryKey: queryKeys.sessions(userId) });
    },
  });
}

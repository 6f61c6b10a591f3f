// Log out: end the session on the server (its refresh token stops working at once), then
// forget the tokens and every cached read here, whether or not the server could be told.
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";

export function useLogOut() {
  const { write, session } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => dataOf(write.POST("/v1/auth/logout")),
    onSettled: () => {
      session.end();
      queryClient.clear();
    },
  });
}

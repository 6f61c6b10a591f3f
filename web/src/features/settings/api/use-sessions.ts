// The user's active sessions (GET /v1/users/{id}/sessions, newest first), revoking one
// (DELETE .../sessions/{sid}) or all of them (DELETE .../sessions: log out everywhere).
//
// The sessions list takes no min_version, so right after a revocation the read model may still
// list the session for a moment: revoked sessions are taken off the cached list at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type UserSession = components["schemas"]["SessionPublic"];

export function useSessions(userId: string) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.sessions(userId),
    queryFn: async () =>
      (
        await dataOf(
          read.GET("/v1/users/{user_id}/sessions", { params: { path: { user_id: userId } } }),
        )
      ).items,
  });
}

/** Revokes one session; revoking this one logs out here too. */
export function useRevokeSession(userId: string) {
  const { write, session } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (target: UserSession) =>
      dataOf(
        write.DELETE("/v1/users/{user_id}/sessions/{session_id}", {
          params: { path: { user_id: userId, session_id: target.id } },
        }),
      ),
    onSuccess: (_, target) => {
      if (target.current) {
        session.end();
        queryClient.clear();
        return;
      }
      queryClient.setQueryData<UserSession[]>(queryKeys.sessions(userId), (sessions) =>
        sessions?.filter((listed) => listed.id !== target.id),
      );
    },
  });
}

/** Revokes every session, this one included: the console then forgets its tokens. */
export function useRevokeAllSessions(userId: string) {
  const { write, session } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      dataOf(write.DELETE("/v1/users/{user_id}/sessions", { params: { path: { user_id: userId } } })),
    onSuccess: () => {
      session.end();
      queryClient.clear();
    },
  });
}

// The user's active sessions (GET /v1/users/{id}/sessions, newest first), revoking one
// (DELETE .../sessions/{sid}) or all of them (DELETE .../sessions: log out everywhere).
//
// The sessions list takes no min_version, so right after a revocation the read model may still
// list the session for a moment: revoked sessions are taken off the cached list at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

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

/** Forgets this browser's tokens and cached reads, once its session is revoked. */
export function useForgetSession() {
  const { session } = useApi();
  const queryClient = useQueryClient();
  return useCallback(() => {
    session.end();
    queryClient.clear();
  }, [session, queryClient]);
}

/** Revokes one session (this one too: the page then forgets it, see useForgetSession). */
export function useRevokeSession(userId: string) {
  const { write } = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (target: UserSession) =>
      dataOf(
        write.DELETE("/v1/users/{user_id}/sessions/{session_id}", {
          params: { path: { user_id: userId, session_id: target.id } },
        }),
      ),
    onSuccess: (_, target) => {
      queryClient.setQueryData<UserSession[]>(queryKeys.sessions(userId), (sessions) =>
        sessions?.filter((listed) => listed.id !== target.id),
      );
    },
  });
}

/** Revokes every session, this one included (the page then forgets it, see
 * useForgetSession). */
export function useRevokeAllSessions(userId: string) {
  const { write } = useApi();
  return useMutation({
    mutationFn: () =>
      dataOf(write.DELETE("/v1/users/{user_id}/sessions", { params: { path: { user_id: userId } } })),
  });
}

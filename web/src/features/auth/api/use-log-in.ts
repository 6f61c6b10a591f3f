// Log in, first step: e-mail and password. Either the session begins, or the API asks for the
// second factor and hands out a ticket for it (POST /v1/auth/mfa).
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/write-api";

export type LogInBody = components["schemas"]["LoginRequest"];
export type LogInOutcome = { signedIn: true } | { signedIn: false; mfaToken: string };

export function useLogIn() {
  const { auth, session } = useApi();
  return useMutation({
    mutationFn: async (body: LogInBody): Promise<LogInOutcome> => {
      const answer = await dataOf(auth.POST("/v1/auth/login", { body }));
      if ("mfa_token" in answer) return { signedIn: false, mfaToken: answer.mfa_token };
      session.begin(answer);
      return { signedIn: true };
    },
  });
}

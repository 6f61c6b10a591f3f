// Log in, second step: the ticket from the first step and a TOTP or recovery code.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/write-api";

export type MfaBody = components["schemas"]["MfaLogin"];

export function useCompleteMfa() {
  const { auth, session } = useApi();
  return useMutation({
    mutationFn: async (body: MfaBody) => {
      session.begin(await dataOf(auth.POST("/v1/auth/mfa", { body })));
    },
  });
}

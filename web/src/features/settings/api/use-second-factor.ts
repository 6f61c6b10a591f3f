// The second factor: start a TOTP enrolment (the otpauth URI and its secret), confirm it with
// a code from the app (the answer holds the recovery codes, shown once), or turn it off with
// the password and a code.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/write-api";
import { useUserWritten } from "./user-written";

export type TotpEnrolment = components["schemas"]["TotpEnrolment"];
export type MfaDisable = components["schemas"]["MfaDisable"];

export function useStartTotpEnrolment(userId: string) {
  const { write } = useApi();
  return useMutation({
    mutationFn: () =>
      dataOf(write.POST("/v1/users/{user_id}/mfa/totp", { params: { path: { user_id: userId } } })),
  });
}

export function useConfirmTotpEnrolment(userId: string) {
  const { write } = useApi();
  const written = useUserWritten(userId);
  return useMutation({
    mutationFn: (code: string) =>
      dataOf(
        write.POST("/v1/users/{user_id}/mfa/totp/confirm", {
          body: { code },
          params: { path: { user_id: userId } },
        }),
      ),
    onSuccess: written,
  });
}

export function useDisableMfa(userId: string) {
  const { write } = useApi();
  const written = useUserWritten(userId);
  return useMutation({
    mutationFn: (body: MfaDisable) =>
      dataOf(write.DELETE("/v1/users/{user_id}/mfa", { body, params: { path: { user_id: userId } } })),
    onSuccess: written,
  });
}

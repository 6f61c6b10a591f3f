// Password reset by e-mail: ask for a link (always 202, whoever has the address), then set a
// new password with the link's token (every session is revoked).
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/write-api";

export type PasswordResetConfirmation = components["schemas"]["PasswordResetConfirmation"];

export function useRequestPasswordReset() {
  const { auth } = useApi();
  return useMutation({
    mutationFn: (email: string) =>
      dataOf(auth.POST("/v1/auth/password-reset", { body: { email } })),
  });
}

export function useConfirmPasswordReset() {
  const { auth } = useApi();
  return useMutation({
    mutationFn: (body: PasswordResetConfirmation) =>
      dataOf(auth.POST("/v1/auth/password-reset/confirm", { body })),
  });
}

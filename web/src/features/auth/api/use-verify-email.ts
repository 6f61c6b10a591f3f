// Confirm an e-mail address with the token of the link we mailed (POST /v1/auth/verify-email).
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";

export function useVerifyEmail() {
  const { auth, versions } = useApi();
  return useMutation({
    mutationFn: (token: string) => dataOf(auth.POST("/v1/auth/verify-email", { body: { token } })),
    // Confirming twice is harmless: the API answers 200 again and records nothing new.
    retry: retryTransient,
    onSuccess: (verified) => {
      versions.wrote(verified.id, verified.version);
    },
  });
}

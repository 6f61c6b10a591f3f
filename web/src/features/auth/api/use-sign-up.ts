// Sign-up: POST /v1/users (no token), with the submission's Idempotency-Key.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import { retryTransient } from "../../../lib/api/retry";
import type { components } from "../../../lib/generated/write-api";

export type SignUpBody = components["schemas"]["UserCreate"];

export function useSignUp() {
  const { auth } = useApi();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: SignUpBody; idempotencyKey: string }) =>
      dataOf(
        auth.POST("/v1/users", { body, params: { header: { "Idempotency-Key": idempotencyKey } } }),
      ),
    retry: retryTransient,
  });
}

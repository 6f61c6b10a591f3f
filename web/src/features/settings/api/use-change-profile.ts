// Change the name and/or the e-mail address (PATCH /v1/users/{id}); a new address is
// unconfirmed until its link is opened.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/write-api";
import { useUserWritten } from "./user-written";

export type ProfileChange = components["schemas"]["UserUpdate"];

export function useChangeProfile(userId: string) {
  const { write } = useApi();
  const written = useUserWritten(userId);
  return useMutation({
    mutationFn: (body: ProfileChange) =>
      dataOf(write.PATCH("/v1/users/{user_id}", { body, params: { path: { user_id: userId } } })),
    onSuccess: written,
  });
}

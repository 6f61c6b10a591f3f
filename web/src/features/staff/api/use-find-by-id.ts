// What an id names, for the staff lookup: an account (any staff member may read it), else a
// user (auditors and admins read the profile; operators may list any user's accounts, which
// answers 404 for an id that is no user). null: nothing this staff member can see.
import { useMutation } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { ApiError } from "../../../lib/api/problem";
import { dataOf } from "../../../lib/api/result";

export type Found = { kind: "account"; id: string } | { kind: "user"; id: string } | null;

const isNotFound = (error: unknown) => error instanceof ApiError && error.status === 404;

export function useFindById(mayReadProfiles: boolean) {
  const { read } = useApi();
  const exists = async (call: Promise<unknown>): Promise<boolean> => {
    try {
      await call;
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };
  return useMutation({
    mutationFn: async (id: string): Promise<Found> => {
      const path = { params: { path: { account_id: id } } };
      if (await exists(dataOf(read.GET("/v1/accounts/{account_id}", path)))) {
        return { kind: "account", id };
      }
      const user = { params: { path: { user_id: id } } };
      const call = mayReadProfiles
        ? dataOf(read.GET("/v1/users/{user_id}", user))
        : dataOf(read.GET("/v1/users/{user_id}/accounts", user));
      return (await exists(call)) ? { kind: "user", id } : null;
    },
  });
}

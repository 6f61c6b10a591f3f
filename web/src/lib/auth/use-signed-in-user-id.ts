// The signed-in user's id, for pages that RequireSignIn guards (so there always is one).
import { useUserId } from "../api/api-context";

export function useSignedInUserId(): string {
  const userId = useUserId();
  if (userId === null) throw new Error("a signed-in page rendered without a session");
  return userId;
}

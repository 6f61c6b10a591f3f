// Bearer tokens on every API request, refreshed when needed: before a request when the access
// token is missing or about to expire, and once after a 401 (the token may have been revoked
// or a key rotated). Refreshes are single-flight: the API treats two uses of one refresh token
// as theft, so concurrent requests must share one refresh. A refused refresh ends the session
// (the app then shows the login page); an unreachable API does not.
import type { Session, SessionTokens } from "../auth/session";
import type { Fetch } from "./connectivity";
import { ApiError } from "./problem";

/** Exchanges a refresh token for new tokens; throws ApiError when the API refuses it. */
export type Refresh = (refreshToken: string) => Promise<SessionTokens>;

export function authorizedFetch(session: Session, refresh: Refresh, fetch: Fetch): Fetch {
  let inFlight: Promise<string | null> | null = null;

  async function refreshed(): Promise<string | null> {
    const refreshToken = session.refreshToken();
    if (refreshToken === null) return null;
    try {
      const tokens = await refresh(refreshToken);
      session.begin(tokens);
      return tokens.access_token;
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) {
        session.end();
        return null;
      }
      throw error;
    }
  }

  /** A fresh access token: the one another request's refresh just got, or a new one. */
  function freshToken(): Promise<string | null> {
    inFlight ??= refreshed().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  function send(request: Request, token: string | null): Promise<Response> {
    if (token !== null) request.headers.set("Authorization", `Bearer ${token}`);
    return fetch(request);
  }

  return async (request) => {
    const secondAttempt = request.clone(); // keeps the body for a retry after a refresh
    const token = session.accessToken() ?? (await freshToken());
    const response = await send(request, token);
    if (response.status !== 401 || session.refreshToken() === null) return response;
    const current = session.accessToken();
    const retryToken = current !== null && current !== token ? current : await freshToken();
    return retryToken === null ? response : send(secondAttempt, retryToken);
  };
}

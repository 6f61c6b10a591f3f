// The console's API clients: openapi-fetch clients typed from the generated OpenAPI types, on
// the page's own origin. The gateway sends GET/HEAD to the query API and everything else (and
// all of /v1/auth/) to the write API, so `write` is used for commands and `read` for reads.
// `auth` carries no bearer token: log in, second factor, refresh.
import createClient, { type Client } from "openapi-fetch";

import { Session, type SessionTokens } from "../auth/session";
import type { paths as ReadPaths } from "../generated/read-api";
import type { paths as WritePaths } from "../generated/write-api";
import { authorizedFetch } from "./authorized-fetch";
import { Connectivity, type Fetch } from "./connectivity";
import { StreamVersions } from "./stream-versions";
import { dataOf } from "./result";

export interface Api {
  write: Client<WritePaths>;
  read: Client<ReadPaths>;
  auth: Client<WritePaths>;
  session: Session;
  connectivity: Connectivity;
  versions: StreamVersions;
}

export interface ApiOptions {
  baseUrl?: string;
  fetch?: Fetch;
  session?: Session;
}

export function createApi(options: ApiOptions = {}): Api {
  const baseUrl = options.baseUrl ?? window.location.origin;
  const connectivity = new Connectivity();
  const session = options.session ?? new Session();
  const plainFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const tracked = connectivity.track(plainFetch);
  const auth = createClient<WritePaths>({ baseUrl, fetch: tracked });

  const refresh = async (refreshToken: string): Promise<SessionTokens> =>
    dataOf(
      auth.POST("/v1/auth/token", {
        body: { grant_type: "refresh_token", refresh_token: refreshToken },
        bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    );
  const withTokens = authorizedFetch(session, refresh, tracked);
  return {
    write: createClient<WritePaths>({ baseUrl, fetch: withTokens }),
    read: createClient<ReadPaths>({ baseUrl, fetch: withTokens }),
    auth,
    session,
    connectivity,
    versions: new StreamVersions(),
  };
}

import { describe, expect, it, vi } from "vitest";

import { accessTokenFor } from "../../test/tokens";
import { Session } from "../auth/session";
import { authorizedFetch, type Refresh } from "./authorized-fetch";
import { ApiError } from "./problem";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";

function signedIn(now = () => 0): Session {
  const session = new Session(sessionStorage, now);
  session.begin({ access_token: accessTokenFor(USER, 1), expires_in: 600, refresh_token: "r1" });
  return session;
}

const rotated = (serial: number) => ({
  access_token: accessTokenFor(USER, serial),
  expires_in: 600,
  refresh_token: `r${serial}`,
});

function api(handler: (request: Request) => Response) {
  const seen: { auth: string | null; body: string }[] = [];
  const fetch = vi.fn(async (request: Request) => {
    seen.push({ auth: request.headers.get("Authorization"), body: await request.text() });
    return handler(request);
  });
  return { fetch, seen };
}

const post = () =>
  new Request("http://localhost/v1/accounts", { method: "POST", body: '{"currency":"EUR"}' });

describe("authorizedFetch", () => {
  it("sends the access token", async () => {
    const session = signedIn();
    const { fetch, seen } = api(() => new Response("{}"));
    const refresh = vi.fn<Refresh>();
    await authorizedFetch(session, refresh, fetch)(post());
    expect(seen[0]?.auth).toBe(`Bearer ${accessTokenFor(USER, 1)}`);
    expect(refresh).not.toHaveBeenCalled();
  });

  it("refreshes once after a 401 and resends the same body with the new token", async () => {
    const session = signedIn();
    const { fetch, seen } = api(({ headers }) =>
      headers.get("Authorization")?.endsWith(accessTokenFor(USER, 2))
        ? new Response("{}", { status: 201 })
        : new Response("{}", { status: 401 }),
    );
    const refresh = vi.fn<Refresh>(() => Promise.resolve(rotated(2)));
    const response = await authorizedFetch(session, refresh, fetch)(post());
    expect(response.status).toBe(201);
    expect(refresh).toHaveBeenCalledExactlyOnceWith("r1");
    expect(seen.map((s) => s.body)).toEqual(['{"currency":"EUR"}', '{"currency":"EUR"}']);
    expect(session.refreshToken()).toBe("r2");
  });

  it("shares one refresh among concurrent requests (a refresh token is single use)", async () => {
    let now = 0;
    const session = signedIn(() => now);
    now = 600_000; // the access token has expired
    const { fetch } = api(() => new Response("{}"));
    let release: () => void = () => undefined;
    const refresh = vi.fn<Refresh>(
      () =>
        new Promise((resolve) => {
          release = () => {
            resolve(rotated(2));
          };
        }),
    );
    const send = authorizedFetch(session, refresh, fetch);
    const requests = [send(post()), send(post()), send(post())];
    await vi.waitFor(() => {
      expect(refresh).toHaveBeenCalled();
    });
    release();
    await Promise.all(requests);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("ends the session when the refresh token is refused", async () => {
    const session = signedIn();
    const { fetch } = api(() => new Response("{}", { status: 401 }));
    const refused = new ApiError({ status: 400, type: "invalid-grant", title: "", detail: "" });
    const refresh = vi.fn<Refresh>(() => Promise.reject(refused));
    const response = await authorizedFetch(session, refresh, fetch)(post());
    expect(response.status).toBe(401);
    expect(session.userId()).toBeNull();
    expect(sessionStorage.length).toBe(0);
  });

  it("keeps the session when the API cannot be reached to refresh", async () => {
    let now = 0;
    const session = signedIn(() => now);
    now = 600_000;
    const { fetch } = api(() => new Response("{}"));
    const refresh = vi.fn<Refresh>(() => Promise.reject(new TypeError("network")));
    await expect(authorizedFetch(session, refresh, fetch)(post())).rejects.toThrow("network");
    expect(session.userId()).toBe(USER);
  });

  it("sends no token and never refreshes without a session", async () => {
    const session = new Session();
    const { fetch, seen } = api(() => new Response("{}", { status: 401 }));
    const refresh = vi.fn<Refresh>();
    const response = await authorizedFetch(session, refresh, fetch)(post());
    expect(response.status).toBe(401);
    expect(seen[0]?.auth).toBeNull();
    expect(refresh).not.toHaveBeenCalled();
  });
});

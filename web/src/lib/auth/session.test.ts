import { describe, expect, it, vi } from "vitest";

import { accessTokenFor } from "../../test/tokens";
import { Session, subjectOf } from "./session";

const USER = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const tokens = { access_token: accessTokenFor(USER), expires_in: 600, refresh_token: "r1" };

describe("Session", () => {
  it("keeps the refresh token and user id across a reload, the access token only in memory", () => {
    const first = new Session(sessionStorage, () => 0);
    first.begin(tokens);
    expect(first.accessToken()).toBe(tokens.access_token);
    expect(sessionStorage.getItem("ledgerline.session")).not.toContain(tokens.access_token);

    const reloaded = new Session(sessionStorage, () => 0);
    expect(reloaded.userId()).toBe(USER);
    expect(reloaded.refreshToken()).toBe("r1");
    expect(reloaded.accessToken()).toBeNull();
  });

  it("stops offering an access token shortly before it expires", () => {
    let now = 0;
    const session = new Session(sessionStorage, () => now);
    session.begin(tokens);
    now = 569_000;
    expect(session.accessToken()).not.toBeNull();
    now = 571_000;
    expect(session.accessToken()).toBeNull();
  });

  it("tells subscribers when someone signs in or out, not on a refresh", () => {
    const session = new Session(sessionStorage, () => 0);
    const listener = vi.fn();
    session.subscribe(listener);
    session.begin(tokens);
    session.begin({ ...tokens, refresh_token: "r2" });
    session.end();
    expect(listener).toHaveBeenCalledTimes(2);
    expect(sessionStorage.length).toBe(0);
  });

  it("ignores an unreadable stored entry", () => {
    sessionStorage.setItem("ledgerline.session", "{not json");
    expect(new Session().userId()).toBeNull();
  });
});

describe("subjectOf", () => {
  it("reads the sub claim of a JWT", () => {
    expect(subjectOf(accessTokenFor(USER))).toBe(USER);
  });
});

describe("Session roles", () => {
  it("follows the roles claim of the latest access token, and tells subscribers when it changes", () => {
    const session = new Session(sessionStorage, () => 0);
    const listener = vi.fn();
    session.begin(tokens);
    session.subscribe(listener);
    const before = session.roles();
    session.begin({ ...tokens, refresh_token: "r2" });
    expect(session.roles()).toBe(before); // the same array: no re-render
    expect(listener).not.toHaveBeenCalled();
    session.begin({ ...tokens, access_token: accessTokenFor(USER, 2, ["customer", "auditor"]) });
    expect(session.roles()).toEqual(["customer", "auditor"]);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(new Session(sessionStorage, () => 0).roles()).toEqual(["customer", "auditor"]);
    session.end();
    expect(session.roles()).toEqual([]);
  });
});

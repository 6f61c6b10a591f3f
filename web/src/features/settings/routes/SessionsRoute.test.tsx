import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, renderConsole, signedInSession } from "../../../test/render";
import { browserName } from "../components/SessionList";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const HERE = "11111111-1111-4111-8111-111111111111";
const PHONE = "22222222-2222-4222-8222-222222222222";

function session(id: string, current: boolean, userAgent: string, amr: string[]) {
  return {
    id,
    created_at: "2026-11-30T12:00:00Z",
    last_used_at: "2026-11-30T12:05:00Z",
    expires_at: "2026-12-30T12:00:00Z",
    user_agent: userAgent,
    address: "192.0.2.7",
    amr,
    current,
  };
}

const sessions = [
  session(HERE, true, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36", ["pwd"]),
  session(PHONE, false, "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", ["pwd", "otp"]),
];

function renderSessions(extra = {}) {
  return renderConsole(
    "/settings/sessions",
    { [`GET /v1/users/${USER}/sessions`]: () => json({ items: sessions }), ...extra },
    signedInSession(USER),
  );
}

describe("SessionsRoute", () => {
  it("lists the sessions, this browser marked, with how each logged in", async () => {
    renderSessions();
    expect(await screen.findByRole("heading", { name: /Chrome on Linux\s*This browser/ })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Firefox on Android" })).toBeInTheDocument();
    expect(screen.getByText(/with password and authenticator code/)).toBeInTheDocument();
  });

  it("logs out another session and takes it off the list at once", async () => {
    const { requests, api } = renderSessions({
      [`DELETE /v1/users/${USER}/sessions/${PHONE}`]: () =>
        json({ id: PHONE, version: 2, events: ["SessionRevoked"] }),
    });
    await userEvent.setup().click(await screen.findByRole("button", { name: /^Log out Firefox on Android/ }));
    await waitFor(() => {
      expect(screen.queryByRole("heading", { name: "Firefox on Android" })).not.toBeInTheDocument();
    });
    expect(requests.filter((r) => r.method === "DELETE")).toHaveLength(1);
    expect(api.session.userId()).toBe(USER);
  });

  it("logs out everywhere, this browser too, and goes to the login page", async () => {
    const { api } = renderSessions({
      [`DELETE /v1/users/${USER}/sessions`]: () => json({ id: USER, version: 7, events: ["UserSessionsRevoked"] }),
    });
    await userEvent.setup().click(await screen.findByRole("button", { name: "Log out everywhere" }));
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("You have been logged out.");
    expect(api.session.userId()).toBeNull();
    expect(sessionStorage.length).toBe(0);
  });
});

describe("browserName", () => {
  it("names the browser and the system, or falls back to the text", () => {
    expect(browserName("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15")).toBe(
      "Safari on macOS",
    );
    expect(browserName("curl/8.5.0")).toBe("curl/8.5.0");
    expect(browserName(null)).toBe("Unknown browser");
  });
});

import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";

const profile = (email: string, verified: boolean, version: number) => ({
  id: USER,
  email,
  full_name: "Ada Lovelace",
  status: "active",
  roles: ["customer"],
  mfa_enabled: false,
  email_verified: verified,
  version,
  created_at: "2026-11-30T12:00:00Z",
  updated_at: "2026-11-30T12:00:00Z",
});

function renderProfile(change: Handler) {
  return renderConsole(
    "/settings/profile",
    {
      [`GET /v1/users/${USER}`]: (request) =>
        new URL(request.url).searchParams.get("min_version") === "6"
          ? json(profile("ada@lovelace.example", false, 6))
          : json(profile("ada@example.com", true, 5)),
      [`PATCH /v1/users/${USER}`]: change,
    },
    signedInSession(USER),
  );
}

describe("ProfileRoute", () => {
  it("sends only what changed; a new address is unconfirmed until its link is opened", async () => {
    const { requests } = renderProfile(() => json({ id: USER, version: 6, events: ["UserProfileChanged"] }));
    expect(await screen.findByTestId("email-status")).toHaveTextContent("is confirmed");
    const user = userEvent.setup();
    const email = screen.getByLabelText("E-mail address");
    await user.clear(email);
    await user.type(email, "ada@lovelace.example");
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByRole("status")).toHaveTextContent("We have sent a link to ada@lovelace.example");
    await waitFor(() => {
      expect(screen.getByTestId("email-status")).toHaveTextContent("is not confirmed yet");
    });
    const patch = requests.find((r) => r.method === "PATCH");
    expect(await patch?.json()).toEqual({ email: "ada@lovelace.example" });
  });

  it("says when the address belongs to someone else (409)", async () => {
    renderProfile(() => problem(409, "email-taken", "This e-mail address is already registered."));
    const user = userEvent.setup();
    const email = await screen.findByLabelText("E-mail address");
    await user.clear(email);
    await user.type(email, "grace@example.com");
    await user.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This e-mail address is already registered.");
  });

  it("asks nothing of the API when nothing changed", async () => {
    const { requests } = renderProfile(() => json({}));
    await userEvent.setup().click(await screen.findByRole("button", { name: "Save profile" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Nothing has changed.");
    expect(requests.some((r) => r.method === "PATCH")).toBe(false);
  });
});

import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP";
const CODES = ["abcdefghjk", "mnpqrstuvw", "xyz2345678", "a2b3c4d5e6", "f7g8h9jkmn", "pqrs234567", "tuvwxyz234", "abc2345def", "ghj6789kmn", "pqr2345stu"];

function user(mfa: boolean, version: number) {
  return {
    id: USER,
    email: "ada@example.com",
    full_name: "Ada Lovelace",
    status: "active",
    roles: ["customer"],
    mfa_enabled: mfa,
    email_verified: true,
    version,
    created_at: "2026-11-30T12:00:00Z",
    updated_at: "2026-11-30T12:00:00Z",
  };
}

/** The profile: second factor off until min_version=5 is asked for. */
const profile: Handler = (request) =>
  new URL(request.url).searchParams.get("min_version") === "5" ? json(user(true, 5)) : json(user(false, 3));

function renderSecurity(handlers: Record<string, Handler> = {}) {
  return renderConsole(
    "/settings/security",
    { [`GET /v1/users/${USER}`]: profile, ...handlers },
    signedInSession(USER),
  );
}

const posted = (requests: Request[], path: string) =>
  requests.filter((r) => r.method !== "GET" && new URL(r.url).pathname === path);

describe("SecurityRoute: two-step login", () => {
  it("enrols: QR code and key, a wrong code on its field, then the recovery codes once", async () => {
    let confirms = 0;
    const { requests } = renderSecurity({
      [`POST /v1/users/${USER}/mfa/totp`]: () =>
        json({
          otpauth_uri: `otpauth://totp/Ledgerline:${USER}?secret=${SECRET}&issuer=Ledgerline`,
          qr_svg: "<svg/>",
          secret: SECRET,
        }),
      [`POST /v1/users/${USER}/mfa/totp/confirm`]: () =>
        ++confirms === 1
          ? problem(422, "invalid-code", "The code is not valid (or has been used already).", [
              { field: "code", message: "The code is not valid (or has been used already)." },
            ])
          : json({ recovery_codes: CODES, id: USER, version: 5 }),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Set up two-step login" }));

    expect(await screen.findByRole("heading", { name: "Set up two-step login" })).toHaveFocus();
    const qr = await screen.findByRole("img", { name: /QR code/ });
    expect(qr.querySelector("path")?.getAttribute("d")).toMatch(/^M4 4h1v1h-1z/); // a finder corner
    expect(screen.getByTestId("totp-secret")).toHaveTextContent("JBSW Y3DP EHPK 3PXP JBSW Y3DP");

    await user.type(screen.getByLabelText("Code from the app"), "123456");
    await user.click(screen.getByRole("button", { name: "Turn on two-step login" }));
    const field = screen.getByLabelText("Code from the app");
    await waitFor(() => {
      expect(field).toHaveAttribute("aria-invalid", "true");
    });
    expect(field).toHaveAccessibleDescription(expect.stringContaining("The code is not valid"));

    await user.clear(field);
    await user.type(field, "654 321");
    await user.click(screen.getByRole("button", { name: "Turn on two-step login" }));
    const codes = await screen.findByRole("list", { name: "Recovery codes" });
    expect(within(codes).getAllByRole("listitem").map((item) => item.textContent)).toEqual(CODES);
    expect(screen.getByRole("heading", { name: "Your recovery codes" })).toHaveFocus();
    expect(screen.getByRole("button", { name: "Download codes" })).toBeInTheDocument();
    const [, second] = posted(requests, `/v1/users/${USER}/mfa/totp/confirm`);
    expect(await second?.json()).toEqual({ code: "654321" });

    await user.click(screen.getByRole("button", { name: "I have saved them" }));
    expect(await screen.findByText(/Two-step login is/)).toHaveTextContent("Two-step login is on");
    expect(screen.getByText(/Two-step login is/)).toHaveFocus();
    expect(screen.queryByRole("list", { name: "Recovery codes" })).not.toBeInTheDocument();
    const reread = requests.filter((r) => new URL(r.url).searchParams.get("min_version") === "5");
    expect(reread).not.toHaveLength(0);
  });

  it("puts a wrong password on the password field when turning it off", async () => {
    renderConsole(
      "/settings/security",
      {
        [`GET /v1/users/${USER}`]: () => json(user(true, 5)),
        [`DELETE /v1/users/${USER}/mfa`]: () =>
          problem(422, "wrong-password", "The password is not correct.", [
            { field: "password", message: "The password is not correct." },
          ]),
      },
      signedInSession(USER),
    );
    const user_ = userEvent.setup();
    const form = await screen.findByRole("form", { name: "Turn two-step login off" });
    await user_.type(within(form).getByLabelText("Password"), "not my password");
    await user_.type(within(form).getByLabelText("Code"), "123456");
    await user_.click(within(form).getByRole("button", { name: "Turn off two-step login" }));
    const password = within(form).getByLabelText("Password");
    await waitFor(() => {
      expect(password).toHaveAttribute("aria-invalid", "true");
    });
    expect(password).toHaveAccessibleDescription("The password is not correct.");
  });
});

describe("SecurityRoute: password", () => {
  it("changes the password and says the other sessions are logged out", async () => {
    const { requests } = renderSecurity({
      [`POST /v1/users/${USER}/password`]: () => json({ id: USER, version: 4, events: ["UserPasswordChanged"] }),
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Current password"), "a quiet lighthouse keeper");
    await user.type(screen.getByLabelText(/^New password/), "an even quieter lighthouse");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Your other sessions have been logged out.");
    const [sent] = posted(requests, `/v1/users/${USER}/password`);
    expect(await sent?.json()).toEqual({
      current_password: "a quiet lighthouse keeper",
      new_password: "an even quieter lighthouse",
    });
    expect(screen.getByLabelText("Current password")).toHaveValue("");
  });

  it("shows a wrong current password on that field and the policy's verdict on the new one", async () => {
    let answers = 0;
    renderSecurity({
      [`POST /v1/users/${USER}/password`]: () =>
        ++answers === 1
          ? problem(422, "wrong-password", "The current password is not correct.", [
              { field: "current_password", message: "The current password is not correct." },
            ])
          : problem(422, "validation-error", "The request is invalid; see errors.", [
              { field: "new_password", message: "Value error, this password is too common" },
            ]),
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Current password"), "wrong password!");
    await user.type(screen.getByLabelText(/^New password/), "password1234");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("The current password is not correct.")).toBeInTheDocument();
    expect(screen.getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");

    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Value error, this password is too common")).toBeInTheDocument();
    expect(screen.getByLabelText(/^New password/)).toHaveAttribute("aria-invalid", "true");
  });

  it("checks the new password's length before asking the API", async () => {
    const { requests } = renderSecurity();
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Current password"), "a quiet lighthouse keeper");
    await user.type(screen.getByLabelText(/^New password/), "short");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Use at least 12 characters.")).toBeInTheDocument();
    expect(posted(requests, `/v1/users/${USER}/password`)).toHaveLength(0);
  });
});

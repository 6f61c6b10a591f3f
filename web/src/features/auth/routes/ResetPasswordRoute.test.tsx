import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCEPTED =
  "If a user has this address, a link to reset the password is on its way; it works once and expires soon.";

async function choose(password: string) {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText(/^New password/), password);
  await user.click(screen.getByRole("button", { name: "Set new password" }));
}

describe("ForgotPasswordRoute", () => {
  it("asks for a link and says what the API says, whoever has the address", async () => {
    const { requests } = renderConsole("/forgot-password", {
      "POST /v1/auth/password-reset": () => json({ detail: ACCEPTED }, 202),
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("E-mail address"), " ada@example.com ");
    await user.click(screen.getByRole("button", { name: "Send me a link" }));
    expect(await screen.findByRole("status")).toHaveTextContent(ACCEPTED);
    expect(await requests[0]?.json()).toEqual({ email: "ada@example.com" });
  });

  it("is linked from the login page", async () => {
    renderConsole("/login", {});
    expect(await screen.findByRole("link", { name: "Forgot your password?" })).toHaveAttribute("href", "/forgot-password");
  });
});

describe("ResetPasswordRoute", () => {
  it("sets the new password with the link's token, which leaves the address bar", async () => {
    const { requests, router } = renderConsole("/reset-password?token=link-token", {
      "POST /v1/auth/password-reset/confirm": () => json({ id: USER, version: 9, events: ["UserPasswordReset"] }),
    });
    await choose("a brand new lighthouse");
    expect(await screen.findByRole("status")).toHaveTextContent("every session has been logged out");
    expect(await requests[0]?.json()).toEqual({ token: "link-token", password: "a brand new lighthouse" });
    expect(router.state.location.search).toBe("");
  });

  it("says when the link no longer works", async () => {
    renderConsole("/reset-password?token=used", {
      "POST /v1/auth/password-reset/confirm": () =>
        problem(400, "invalid-token", "The link is not valid.", [{ field: "token", message: "The link is not valid." }]),
    });
    await choose("a brand new lighthouse");
    expect(await screen.findByRole("alert")).toHaveTextContent("This link does not work any more");
    expect(screen.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/forgot-password");
  });

  it("puts the password policy's verdict on the field", async () => {
    renderConsole("/reset-password?token=t", {
      "POST /v1/auth/password-reset/confirm": () =>
        problem(422, "validation-error", "The request is invalid; see errors.", [
          { field: "password", message: "Value error, this password is too common" },
        ]),
    });
    await choose("password1234");
    expect(await screen.findByText("Value error, this password is too common")).toBeInTheDocument();
    expect(screen.getByLabelText(/^New password/)).toHaveAttribute("aria-invalid", "true");
  });

  it("needs the link's token", async () => {
    renderConsole("/reset-password", {});
    expect(await screen.findByText(/This page needs the link from the e-mail/)).toBeInTheDocument();
  });
});

import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole } from "../../../test/render";
import { accessTokenFor } from "../../../test/tokens";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const tokens = { access_token: accessTokenFor(USER), token_type: "Bearer", expires_in: 600, refresh_token: "r1" };
const noAccounts = { [`GET /v1/users/${USER}/accounts`]: () => json({ items: [] }) };

async function logIn(email = "ada@example.com", password = "a quiet lighthouse keeper") {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText("E-mail address"), email);
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Log in" }));
}

describe("LogInRoute", () => {
  it("logs in with a password and goes to the accounts", async () => {
    const { api } = renderConsole("/login", { "POST /v1/auth/login": () => json(tokens), ...noAccounts });
    await logIn();
    expect(await screen.findByRole("heading", { name: "Your accounts" })).toBeInTheDocument();
    expect(api.session.userId()).toBe(USER);
  });

  it("asks for the second factor when the API does, then logs in", async () => {
    const { api, requests } = renderConsole("/login", {
      "POST /v1/auth/login": () => json({ mfa_required: true, mfa_token: "ticket" }),
      "POST /v1/auth/mfa": () => json(tokens),
      ...noAccounts,
    });
    await logIn();
    const code = await screen.findByLabelText("Code");
    expect(api.session.userId()).toBeNull();
    await userEvent.setup().type(code, "123 456");
    await userEvent.setup().click(screen.getByRole("button", { name: "Continue" }));
    expect(await screen.findByRole("heading", { name: "Your accounts" })).toBeInTheDocument();
    const mfa = requests.find((r) => new URL(r.url).pathname === "/v1/auth/mfa");
    expect(await mfa?.json()).toEqual({ mfa_token: "ticket", code: "123456" });
  });

  it("shows a wrong code on the code field", async () => {
    renderConsole("/login", {
      "POST /v1/auth/login": () => json({ mfa_required: true, mfa_token: "ticket" }),
      "POST /v1/auth/mfa": () =>
        problem(422, "invalid-code", "The code is not valid.", [{ field: "code", message: "The code is not valid." }]),
    });
    await logIn();
    await userEvent.setup().type(await screen.findByLabelText("Code"), "000000");
    await userEvent.setup().click(screen.getByRole("button", { name: "Continue" }));
    expect(await screen.findByText("The code is not valid.")).toBeInTheDocument();
    expect(screen.getByLabelText("Code")).toHaveAttribute("aria-invalid", "true");
  });

  it("says so when the credentials are wrong", async () => {
    renderConsole("/login", {
      "POST /v1/auth/login": () => problem(401, "invalid-credentials", "The e-mail address or password is wrong."),
    });
    await logIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("The e-mail address or password is wrong.");
  });

  it("is where a page that needs a session sends someone without one", async () => {
    renderConsole("/accounts", {});
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
  });
});

describe("LogInRoute with a recovery code", () => {
  it("offers a full keyboard for a recovery code and sends it as typed, without spaces", async () => {
    const { requests } = renderConsole("/login", {
      "POST /v1/auth/login": () => json({ mfa_required: true, mfa_token: "ticket" }),
      "POST /v1/auth/mfa": () => json(tokens),
      ...noAccounts,
    });
    await logIn();
    expect(await screen.findByLabelText("Code")).toHaveAttribute("inputmode", "numeric");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    const code = screen.getByLabelText("Recovery code");
    expect(code).toHaveAttribute("inputmode", "text");
    await user.type(code, "abcde fghjk");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(await screen.findByRole("heading", { name: "Your accounts" })).toBeInTheDocument();
    const mfa = requests.find((r) => new URL(r.url).pathname === "/v1/auth/mfa");
    expect(await mfa?.json()).toEqual({ mfa_token: "ticket", code: "abcdefghjk" });
  });
});

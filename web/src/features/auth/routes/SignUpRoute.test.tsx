import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";

function renderSignUp(answer: Handler) {
  return renderConsole("/signup", { "POST /v1/users": answer });
}

async function signUp(password = "a quiet lighthouse keeper") {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText("E-mail address"), " ada@example.com ");
  await user.type(screen.getByLabelText("Full name"), "Ada Lovelace");
  await user.type(screen.getByLabelText(/^Password/), password);
  await user.click(screen.getByRole("button", { name: "Sign up" }));
}

describe("SignUpRoute", () => {
  it("creates the account and goes to the login page with the address filled in", async () => {
    const { requests } = renderSignUp(() => json({ id: USER, version: 1, events: ["UserRegistered"] }, 201));
    await signUp();
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Your account is ready");
    expect(screen.getByLabelText("E-mail address")).toHaveValue("ada@example.com");
    const [request] = requests;
    expect(request?.headers.get("Idempotency-Key")).toBeTruthy();
    expect(request?.headers.get("Authorization")).toBeNull();
    expect(await request?.json()).toEqual({
      email: "ada@example.com",
      full_name: "Ada Lovelace",
      password: "a quiet lighthouse keeper",
      language: "en",
    });
  });

  it("checks the password's length before asking the API", async () => {
    const { requests } = renderSignUp(() => json({}));
    await signUp("too short");
    expect(await screen.findByText("Use at least 12 characters.")).toBeInTheDocument();
    expect(requests).toHaveLength(0);
  });

  it("shows the API's verdict on the password on the password field", async () => {
    renderSignUp(() =>
      problem(422, "validation-error", "The request is invalid; see errors.", [
        { field: "password", message: "Value error, this password is too common" },
      ]),
    );
    await signUp("password1234");
    expect(await screen.findByText("Value error, this password is too common")).toBeInTheDocument();
    expect(screen.getByLabelText(/^Password/)).toHaveAttribute("aria-invalid", "true");
  });

  it("says when the address is taken (409)", async () => {
    renderSignUp(() => problem(409, "email-taken", "This e-mail address is already registered."));
    await signUp();
    expect(await screen.findByRole("alert")).toHaveTextContent("This e-mail address is already registered.");
  });
});

import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";

describe("VerifyEmailRoute", () => {
  it("confirms the address with the link's token when asked to", async () => {
    const { requests } = renderConsole("/verify-email?token=link-token", {
      "POST /v1/auth/verify-email": () => json({ id: USER, version: 3, events: ["UserEmailVerified"] }),
    });
    await userEvent.setup().click(await screen.findByRole("button", { name: "Confirm my e-mail address" }));
    expect(await screen.findByRole("status")).toHaveTextContent("your e-mail address is confirmed");
    expect(await requests[0]?.json()).toEqual({ token: "link-token" });
  });

  it("says when the link no longer works", async () => {
    renderConsole("/verify-email?token=old", {
      "POST /v1/auth/verify-email": () =>
        problem(400, "invalid-token", "The link is not valid.", [{ field: "token", message: "expired" }]),
    });
    await userEvent.setup().click(await screen.findByRole("button", { name: "Confirm my e-mail address" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("does not work any more");
  });
});

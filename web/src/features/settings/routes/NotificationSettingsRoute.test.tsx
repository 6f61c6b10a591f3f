import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const PATH = `/v1/users/${USER}/notification-preferences`;

const preferences = {
  email: {
    money_received: true,
    payment_captured: false,
    payment_refunded: true,
    large_withdrawal: true,
    new_device_login: true,
    password_changed: true,
    mfa_changed: true,
    webhook_endpoint_disabled: true,
    verify_email: true,
    password_reset: true,
  },
  language: "en",
  version: 4,
};

describe("NotificationSettingsRoute", () => {
  it("turns e-mails on and off and changes their language; security e-mails stay on", async () => {
    const { requests } = renderConsole(
      "/settings/notifications",
      {
        [`GET ${PATH}`]: () => json(preferences),
        [`PUT ${PATH}`]: () => json({ id: USER, version: 5, events: ["UserNotificationPreferencesChanged"] }),
      },
      signedInSession(USER),
    );
    const money = await screen.findByLabelText("Money arrives in one of my accounts");
    expect(money).toBeChecked();
    expect(screen.getByLabelText("A payment to me is captured")).not.toBeChecked();
    expect(screen.getByLabelText("A login from a new device")).toBeDisabled();
    expect(screen.getByLabelText("A login from a new device")).toBeChecked();

    const user = userEvent.setup();
    await user.click(money);
    await user.selectOptions(screen.getByLabelText("Language of the e-mails"), "pt");
    await user.click(screen.getByRole("button", { name: "Save e-mail settings" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Your e-mail settings are saved.");
    const put = requests.find((r) => r.method === "PUT");
    expect(await put?.json()).toEqual({
      email: { money_received: false, payment_captured: false, payment_refunded: true, large_withdrawal: true },
      language: "pt",
    });
    const reread = requests.filter((r) => r.method === "GET" && new URL(r.url).pathname === PATH);
    expect(new URL(reread.at(-1)?.url ?? "").searchParams.get("min_version")).toBe("5");
  });

  it("shows a refusal the form cannot place", async () => {
    renderConsole(
      "/settings/notifications",
      {
        [`GET ${PATH}`]: () => json(preferences),
        [`PUT ${PATH}`]: () =>
          problem(422, "invalid-preference", "Security e-mails cannot be turned off.", [
            { field: "email.new_device_login", message: "Security e-mails cannot be turned off." },
          ]),
      },
      signedInSession(USER),
    );
    await userEvent.setup().click(await screen.findByRole("button", { name: "Save e-mail settings" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "email.new_device_login: Security e-mails cannot be turned off.",
    );
  });
});

import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, renderConsole, signedInSession } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";

const account = (currency: string, balance: number) => ({
  id: ACCOUNT,
  owner_id: USER,
  currency,
  balance,
  available: balance,
  status: "open",
  version: 1,
  created_at: "2026-11-30T12:00:00Z",
  updated_at: "2026-11-30T12:00:00Z",
});

describe("AccountsRoute", () => {
  it("lists the accounts with their balances in their currencies", async () => {
    renderConsole(
      "/accounts",
      {
        [`GET /v1/users/${USER}/accounts`]: () =>
          json({ items: [account("EUR", 250000), { ...account("JPY", 1500), id: "other" }] }),
      },
      signedInSession(USER),
    );
    expect(await screen.findByRole("link", { name: /EUR account\s*€2,500\.00/ })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /JPY account\s*¥1,500/ })).toHaveAttribute(
      "href",
      "/accounts/other",
    );
  });

  it("opens an account and shows it, read at the version the command returned", async () => {
    const { requests } = renderConsole(
      "/accounts",
      {
        [`GET /v1/users/${USER}/accounts`]: () => json({ items: [] }),
        "POST /v1/accounts": () => json({ id: ACCOUNT, version: 1, events: ["AccountOpened"] }, 201),
        [`GET /v1/accounts/${ACCOUNT}`]: () => json(account("USD", 0)),
      },
      signedInSession(USER),
    );
    expect(await screen.findByText(/You have no accounts yet/)).toBeInTheDocument();
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Currency"), "USD");
    await user.click(screen.getByRole("button", { name: "Open account" }));

    expect(await screen.findByRole("heading", { name: "USD account" })).toBeInTheDocument();
    const opened = requests.find((r) => r.method === "POST");
    expect(await opened?.json()).toEqual({ owner_id: USER, currency: "USD" });
    const read = requests.find((r) => new URL(r.url).pathname === `/v1/accounts/${ACCOUNT}`);
    expect(new URL(read?.url ?? "").searchParams.get("min_version")).toBe("1");
  });
});

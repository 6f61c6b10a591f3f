import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, renderConsole, signedInSession } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const SHOP = "0b6f7d1e-2c3a-4b5d-8e9f-a0b1c2d3e4f5";

function payment(id: string, payer: string, payee: string, amount: number, merchant: string) {
  return {
    id,
    payer_account_id: payer,
    payee_account_id: payee,
    amount,
    currency: "EUR",
    merchant,
    description: `${merchant} order`,
    status: "captured",
    captured: amount,
    refunded: 0,
    version: 2,
    created_at: "2026-11-30T12:00:00Z",
    updated_at: "2026-11-30T12:00:00Z",
  };
}

const account = {
  id: ACCOUNT,
  owner_id: USER,
  currency: "EUR",
  balance: 5000,
  available: 5000,
  status: "open",
  version: 3,
  created_at: "2026-11-30T12:00:00Z",
  updated_at: "2026-11-30T12:00:00Z",
};

describe("an account's payments", () => {
  it("lists the payments from and to the account, a page at a time", async () => {
    const pages = [
      {
        items: [payment("p2", SHOP, ACCOUNT, 250, "Refund desk")],
        next_cursor: "c1",
      },
      { items: [payment("p1", ACCOUNT, SHOP, 1999, "Bean Co")], next_cursor: null },
    ];
    const { requests } = renderConsole(
      `/accounts/${ACCOUNT}`,
      {
        [`GET /v1/accounts/${ACCOUNT}`]: () => json(account),
        [`GET /v1/accounts/${ACCOUNT}/entries`]: () => json({ items: [], next_cursor: null }),
        "GET /v1/search/payments": (request) => {
          const page = new URL(request.url).searchParams.get("cursor") === "c1" ? 1 : 0;
          return json({ total: 2, facets: { status: {}, currency: {} }, ...pages[page] });
        },
      },
      signedInSession(USER),
    );
    const section = await screen.findByRole("region", { name: "Payments" });
    expect(await within(section).findByRole("link", { name: "Refund desk" })).toBeInTheDocument();
    expect(within(section).getByText(/Paid to you/)).toBeInTheDocument();
    await userEvent.setup().click(within(section).getByRole("button", { name: /Load more/ }));
    expect(await within(section).findByRole("link", { name: "Bean Co" })).toBeInTheDocument();
    expect(within(section).getByText(/You paid/)).toBeInTheDocument();
    const searches = requests.filter((r) => new URL(r.url).pathname === "/v1/search/payments");
    expect(searches.map((r) => new URL(r.url).searchParams.get("account_id"))).toEqual([
      ACCOUNT,
      ACCOUNT,
    ]);
  });

  it("says when the account has none", async () => {
    renderConsole(
      `/accounts/${ACCOUNT}`,
      {
        [`GET /v1/accounts/${ACCOUNT}`]: () => json(account),
        [`GET /v1/accounts/${ACCOUNT}/entries`]: () => json({ items: [], next_cursor: null }),
        "GET /v1/search/payments": () =>
          json({ items: [], total: 0, facets: { status: {}, currency: {} }, next_cursor: null }),
      },
      signedInSession(USER),
    );
    expect(await screen.findByText("No payments from or to this account yet.")).toBeInTheDocument();
  });
});

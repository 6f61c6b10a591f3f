import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { accountDoc, entryDoc } from "../../../test/accounts";
import { json, renderConsole, signedInSession } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";

describe("Statement", () => {
  it("shows the lines newest first and loads the next page with the cursor, by keyboard", async () => {
    const { requests } = renderConsole(
      `/accounts/${ACCOUNT}`,
      {
        [`GET /v1/accounts/${ACCOUNT}`]: () => json(accountDoc(ACCOUNT, USER, 7000, 3)),
        [`GET /v1/accounts/${ACCOUNT}/entries`]: (request) =>
          new URL(request.url).searchParams.get("cursor") === "page-2"
            ? json({ items: [entryDoc(ACCOUNT, 2, "credit", 10000, 10000, "salary")], next_cursor: null })
            : json({ items: [entryDoc(ACCOUNT, 3, "debit", 3000, 7000, "rent")], next_cursor: "page-2" }),
      },
      signedInSession(USER),
    );
    const statement = await screen.findByRole("list", { name: "Statement" });
    expect(within(statement).getAllByRole("listitem").map((line) => line.textContent)).toEqual([
      expect.stringMatching(/^rentOut: -€30\.00.*Balance €70\.00$/),
    ]);
    expect(screen.getByText("Showing 1 line")).toBeInTheDocument();

    const user = userEvent.setup();
    const more = screen.getByRole("button", { name: "Load more" });
    more.focus();
    await user.keyboard("{Enter}");

    expect(await screen.findByText("Showing 2 lines (all).")).toBeInTheDocument();
    expect(within(statement).getAllByRole("listitem").map((line) => line.textContent)).toEqual([
      expect.stringMatching(/^rent/),
      expect.stringMatching(/^salaryIn: \+€100\.00.*Balance €100\.00$/),
    ]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    const cursors = requests
      .filter((r) => r.url.includes("/entries"))
      .map((r) => new URL(r.url).searchParams.get("cursor"));
    expect(cursors).toEqual([null, "page-2"]);
  });

  it("links the lines of a payment and of a refund to the payment", async () => {
    const payment = "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9";
    renderConsole(
      `/accounts/${ACCOUNT}`,
      {
        [`GET /v1/accounts/${ACCOUNT}`]: () => json(accountDoc(ACCOUNT, USER, 4000, 3)),
        [`GET /v1/accounts/${ACCOUNT}/entries`]: () =>
          json({
            items: [
              entryDoc(ACCOUNT, 3, "credit", 1000, 4000, `refund:${payment}`),
              entryDoc(ACCOUNT, 2, "debit", 5000, 3000, `payment:${payment}`),
            ],
            next_cursor: null,
          }),
      },
      signedInSession(USER),
    );
    const statement = await screen.findByRole("list", { name: "Statement" });
    expect(within(statement).getByRole("link", { name: "Refund of a payment" })).toHaveAttribute(
      "href",
      `/payments/${payment}`,
    );
    expect(within(statement).getByRole("link", { name: "Payment" })).toHaveAttribute(
      "href",
      `/payments/${payment}`,
    );
  });
});

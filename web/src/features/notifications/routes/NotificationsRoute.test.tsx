import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, renderConsole, signedInSession } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const PAYMENT = "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9";

const line = (id: string, message: string, extra: Record<string, unknown>) => ({
  id,
  account_id: ACCOUNT,
  user_id: null,
  kind: "AccountCredited",
  message,
  amount: 2500,
  currency: "EUR",
  payment_id: null,
  position: 10,
  created_at: "2026-11-30T12:00:00Z",
  ...extra,
});

describe("the notification inbox", () => {
  it("lists the newest first, linking to what each is about, and loads more", async () => {
    const { requests } = renderConsole(
      "/notifications",
      {
        [`GET /v1/users/${USER}/notifications`]: (request) =>
          new URL(request.url).searchParams.get("cursor") === "older"
            ? json({ items: [line("b", "Credited 25.00 EUR (salary)", {})], next_cursor: null })
            : json({
                items: [line("a", "Payment of 12.50 EUR captured", { payment_id: PAYMENT })],
                next_cursor: "older",
              }),
      },
      signedInSession(USER),
    );
    const inbox = await screen.findByRole("list", { name: "Notifications" });
    expect(within(inbox).getByText("Payment of 12.50 EUR captured")).toBeInTheDocument();
    expect(within(inbox).getByRole("link", { name: "The payment" })).toHaveAttribute(
      "href",
      `/payments/${PAYMENT}`,
    );
    await userEvent.setup().click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(inbox).findByText("Credited 25.00 EUR (salary)")).toBeInTheDocument();
    expect(within(inbox).getByRole("link", { name: "The account" })).toHaveAttribute(
      "href",
      `/accounts/${ACCOUNT}`,
    );
    expect(screen.getByText("Showing 2 notifications (all).")).toBeInTheDocument();
    const cursors = requests.map((r) => new URL(r.url).searchParams.get("cursor"));
    expect(cursors).toEqual([null, "older"]);
  });
});

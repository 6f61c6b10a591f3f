import { screen, waitFor, within } from "@testing-library/react";
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
  read: true,
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

  it("marks every line up to the newest shown as read, and reads the inbox at that version", async () => {
    let mark = 0;
    const { requests } = renderConsole(
      "/notifications",
      {
        [`GET /v1/users/${USER}/notifications`]: () =>
          json({
            items: [
              line("new", "Credited 5.00 EUR (gift)", { position: 42, read: mark >= 42 }),
              line("old", "Credited 25.00 EUR (salary)", { position: 40, read: true }),
            ],
            next_cursor: null,
          }),
        [`POST /v1/users/${USER}/notifications/read`]: async (request) => {
          mark = ((await request.json()) as { up_to_position: number }).up_to_position;
          return json({ id: USER, version: 7, events: ["UserNotificationsRead"] });
        },
      },
      signedInSession(USER),
    );
    const inbox = await screen.findByRole("list", { name: "Notifications" });
    expect(within(inbox).getAllByText("New")).toHaveLength(1);
    await userEvent.setup().click(screen.getByRole("button", { name: "Mark all as read" }));
    await waitFor(() => {
      expect(within(inbox).queryByText("New")).not.toBeInTheDocument();
    });
    expect(mark).toBe(42);
    expect(screen.queryByRole("button", { name: "Mark all as read" })).not.toBeInTheDocument();
    const reads = requests.filter((r) => r.method === "GET");
    expect(new URL(reads.at(-1)?.url ?? "").searchParams.get("min_version")).toBe("7");
  });
});

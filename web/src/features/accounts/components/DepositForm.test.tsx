import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const DEPOSITS = `POST /v1/accounts/${ACCOUNT}/deposits`;

function account(balance: number, version: number) {
  return {
    id: ACCOUNT,
    owner_id: USER,
    currency: "EUR",
    balance,
    available: balance,
    status: "open",
    version,
    created_at: "2026-11-30T12:00:00Z",
    updated_at: "2026-11-30T12:00:00Z",
  };
}

/** The account read: balance 0 until min_version=2 is asked for, then 123456. */
const accountRead: Handler = (request) =>
  new URL(request.url).searchParams.get("min_version") === "2"
    ? json(account(123456, 2))
    : json(account(0, 1));

function renderAccount(deposits: Handler) {
  return renderConsole(
    `/accounts/${ACCOUNT}`,
    {
      [`GET /v1/accounts/${ACCOUNT}`]: accountRead,
      [`GET /v1/accounts/${ACCOUNT}/entries`]: () => json({ items: [], next_cursor: null }),
      "GET /v1/search/payments": () =>
        json({ items: [], total: 0, facets: { status: {}, currency: {} }, next_cursor: null }),
      [DEPOSITS]: deposits,
    },
    signedInSession(USER),
  );
}

async function deposit(amount: string, reference = "salary") {
  const user = userEvent.setup();
  const amountField = await screen.findByLabelText("Amount (EUR)");
  await user.clear(amountField);
  await user.type(amountField, amount);
  const referenceField = screen.getByLabelText("Reference");
  await user.clear(referenceField);
  await user.type(referenceField, reference);
  await user.click(screen.getByRole("button", { name: "Deposit" }));
}

const sent = (requests: Request[]) => requests.filter((r) => r.method === "POST");

describe("DepositForm", () => {
  it("deposits the exact minor units and shows the balance read at the deposit's version", async () => {
    const { requests } = renderAccount(() => json({ id: ACCOUNT, version: 2, events: ["AccountCredited"] }));
    expect(await screen.findByTestId("balance")).toHaveTextContent("€0.00");

    await deposit("1,234.56");

    expect(await screen.findByRole("status")).toHaveTextContent("Deposited €1,234.56.");
    expect(screen.getByTestId("balance")).toHaveTextContent("€1,234.56");
    const [post] = sent(requests);
    expect(await post?.json()).toEqual({ amount: 123456, reference: "salary" });
    expect(post?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(post?.headers.get("Authorization")).toMatch(/^Bearer /);
  });

  it("refuses more decimals than the currency has without asking the API", async () => {
    const { requests } = renderAccount(() => json({}));
    await deposit("12.345");
    expect(await screen.findByText("At most 2 decimal places for EUR.")).toBeInTheDocument();
    expect(screen.getByLabelText("Amount (EUR)")).toHaveAttribute("aria-invalid", "true");
    expect(sent(requests)).toHaveLength(0);
  });

  it("shows the API's field errors on their fields", async () => {
    renderAccount(() =>
      problem(422, "validation-error", "The request is invalid; see errors.", [
        { field: "reference", message: "String should have at most 200 characters" },
      ]),
    );
    await deposit("5", "x");
    const reference = screen.getByLabelText("Reference");
    await waitFor(() => {
      expect(reference).toHaveAttribute("aria-invalid", "true");
    });
    expect(reference).toHaveAccessibleDescription(
      expect.stringContaining("String should have at most 200 characters"),
    );
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says why a refused deposit was refused (409), in words for people", async () => {
    renderAccount(() => problem(409, "account-closed", `Account ${ACCOUNT} is closed.`));
    await deposit("5");
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This account is closed: it takes no more money in or out.",
    );
  });

  it("shows the API's own explanation of a refusal it has no words for", async () => {
    renderAccount(() => problem(409, "something-new", "Deposits pause at midnight."));
    await deposit("5");
    expect(await screen.findByRole("alert")).toHaveTextContent("Deposits pause at midnight.");
  });

  it("sends the same Idempotency-Key when the same deposit is submitted again, a new one for another", async () => {
    let answers = 0;
    const { requests } = renderAccount(() =>
      ++answers === 1
        ? problem(429, "rate-limited", "Slow down.")
        : json({ id: ACCOUNT, version: 2, events: ["AccountCredited"] }),
    );
    await deposit("5");
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many attempts");
    await userEvent.setup().click(screen.getByRole("button", { name: "Deposit" }));
    await screen.findByRole("status");
    await deposit("5");
    await waitFor(() => {
      expect(sent(requests)).toHaveLength(3);
    });
    const keys = sent(requests).map((r) => r.headers.get("Idempotency-Key"));
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  });
});

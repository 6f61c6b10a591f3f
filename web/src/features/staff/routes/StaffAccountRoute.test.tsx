import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const OPERATOR = "0b8e5a9c-1d2f-4e3a-8b7c-6d5e4f3a2b1c";
const OWNER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const PATH = `/staff/accounts/${ACCOUNT}`;

function account(status: string, version: number, balance = 5000) {
  return {
    id: ACCOUNT,
    owner_id: OWNER,
    currency: "EUR",
    balance,
    available: balance,
    held: 0,
    holds: {},
    status,
    version,
    created_at: "2026-11-30T12:00:00Z",
    updated_at: "2026-11-30T12:00:00Z",
  };
}

/** The account: open at version 2 until min_version=3 is asked for, then frozen. */
const accountRead: Handler = (request) =>
  new URL(request.url).searchParams.get("min_version") === "3"
    ? json(account("frozen", 3))
    : json(account("open", 2));

function renderAccount(roles: string[], handlers: Record<string, Handler> = {}) {
  return renderConsole(
    PATH,
    { [`GET /v1/accounts/${ACCOUNT}`]: accountRead, ...handlers },
    signedInSession(OPERATOR, ["customer", ...roles]),
  );
}

const commands = (requests: Request[]) => requests.filter((r) => r.method === "POST");

describe("StaffAccountRoute", () => {
  it("freezes with a reason, the version seen as If-Match, and shows the account read at the new version", async () => {
    const { requests } = renderAccount(["operator"], {
      [`POST /v1/accounts/${ACCOUNT}/freeze`]: () => json({ id: ACCOUNT, version: 3, events: ["AccountFrozen"] }),
    });
    expect(await screen.findByTestId("account-status")).toHaveTextContent("open");
    expect(screen.getAllByText("€50.00", { selector: ".money" })).toHaveLength(2); // balance, available
    expect(screen.queryByRole("link", { name: "Audit trail of this account" })).not.toBeInTheDocument();
    const user = userEvent.setup();

    await user.click(screen.getByRole("button", { name: "Freeze account" }));
    expect(await screen.findByText("Give a reason.")).toBeInTheDocument();
    expect(commands(requests)).toHaveLength(0);

    await user.type(screen.getByLabelText("Reason"), "suspicious card activity");
    await user.click(screen.getByRole("button", { name: "Freeze account" }));
    expect(await screen.findByRole("status")).toHaveTextContent("The account is frozen.");
    expect(screen.getByTestId("account-status")).toHaveTextContent("frozen");
    expect(screen.getByRole("button", { name: "Unfreeze account" })).toBeInTheDocument();
    const [freeze] = commands(requests);
    expect(await freeze?.json()).toEqual({ reason: "suspicious card activity" });
    expect(freeze?.headers.get("If-Match")).toBe('"2"');
    expect(freeze?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("asks once more before closing, and says why a funded account cannot be closed", async () => {
    const { requests } = renderAccount(["operator"], {
      [`POST /v1/accounts/${ACCOUNT}/close`]: () =>
        problem(409, "account-not-empty", `Account ${ACCOUNT} has balance 5000 and 0 holds.`),
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Reason"), "customer asked");
    await user.click(screen.getByRole("button", { name: "Close account" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Closing cannot be undone.");
    expect(screen.getByRole("button", { name: "Keep it open" })).toHaveFocus();
    expect(commands(requests)).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Yes, close it" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Only an account with zero balance and no holds can be closed: this one holds €50.00.",
    );
    expect(commands(requests)).toHaveLength(1);
  });

  it("says the account changed meanwhile (412) and offers to reload it", async () => {
    let reads = 0;
    renderAccount(["operator"], {
      [`GET /v1/accounts/${ACCOUNT}`]: () => json(++reads === 1 ? account("open", 2) : account("frozen", 4)),
      [`POST /v1/accounts/${ACCOUNT}/freeze`]: () => problem(412, "version-mismatch", "Expected version 2."),
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Reason"), "fraud");
    await user.click(screen.getByRole("button", { name: "Freeze account" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This changed meanwhile.");
    await user.click(screen.getByRole("button", { name: "Reload the account" }));
    await waitFor(() => {
      expect(screen.getByTestId("account-status")).toHaveTextContent("frozen");
    });
  });

  it("offers an auditor the audit trail and no actions", async () => {
    renderAccount(["auditor"]);
    expect(await screen.findByRole("link", { name: "Audit trail of this account" })).toHaveAttribute(
      "href",
      `/staff/audit/${ACCOUNT}`,
    );
    expect(screen.queryByRole("button", { name: "Freeze account" })).not.toBeInTheDocument();
  });
});

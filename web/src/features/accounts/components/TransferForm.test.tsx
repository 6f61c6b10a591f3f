import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { accountDoc } from "../../../test/accounts";
import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const SOURCE = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const TARGET = "0d7a6b5c-4e3f-4a2b-9c1d-8e7f6a5b4c3d";
const TRANSFER_ID = "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9";

function renderAccount(transfers: Handler, account?: Handler) {
  return renderConsole(
    `/accounts/${SOURCE}`,
    {
      [`GET /v1/accounts/${SOURCE}`]: account ?? (() => json(accountDoc(SOURCE, USER, 10000, 2))),
      [`GET /v1/accounts/${SOURCE}/entries`]: () => json({ items: [], next_cursor: null }),
      "POST /v1/transfers": transfers,
    },
    signedInSession(USER),
  );
}

async function transfer(to: string, amount: string, reference = "rent") {
  const user = userEvent.setup();
  await user.click(await screen.findByRole("radio", { name: "Transfer" }));
  const form = screen.getByRole("form", { name: "Transfer" });
  await user.type(within(form).getByLabelText("To account number"), to);
  await user.type(within(form).getByLabelText("Amount (EUR)"), amount);
  await user.type(within(form).getByLabelText("Reference"), reference);
  await user.click(within(form).getByRole("button", { name: "Transfer" }));
  return form;
}

const posts = (requests: Request[]) => requests.filter((r) => r.method === "POST");

describe("TransferForm", () => {
  it("transfers to the account number given and reads this account at the version the transfer gave it", async () => {
    const { requests } = renderAccount(
      () =>
        json(
          {
            id: TRANSFER_ID,
            version: 1,
            events: ["AccountDebited", "AccountCredited", "TransferCompleted"],
            streams: { [SOURCE]: 3, [TARGET]: 5, [TRANSFER_ID]: 1 },
          },
          201,
        ),
      (request) =>
        new URL(request.url).searchParams.get("min_version") === "3"
          ? json(accountDoc(SOURCE, USER, 7500, 3))
          : json(accountDoc(SOURCE, USER, 10000, 2)),
    );
    await transfer(` ${TARGET.toUpperCase()} `, "25");
    expect(await screen.findByRole("status")).toHaveTextContent(`Sent €25.00 to account ${TARGET}.`);
    expect(screen.getByTestId("balance")).toHaveTextContent("€75.00");
    const [post] = posts(requests);
    expect(await post?.json()).toEqual({
      from_account_id: SOURCE,
      to_account_id: TARGET,
      amount: 2500,
      reference: "rent",
    });
    expect(post?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("checks the account number's shape before asking the API", async () => {
    const { requests } = renderAccount(() => json({}));
    const form = await transfer("12345", "25");
    expect(await within(form).findByText(/An account number looks like/)).toBeInTheDocument();
    expect(within(form).getByLabelText("To account number")).toHaveAttribute("aria-invalid", "true");
    expect(posts(requests)).toHaveLength(0);
  });

  it("says on the field that no account has the number (404)", async () => {
    renderAccount(() => problem(404, "not-found", `Account ${TARGET} does not exist`));
    const form = await transfer(TARGET, "25");
    const field = within(form).getByLabelText("To account number");
    await waitFor(() => {
      expect(field).toHaveAttribute("aria-invalid", "true");
    });
    expect(field).toHaveAccessibleDescription(expect.stringContaining("There is no account with this number."));
    expect(within(form).queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says in words why the transfer was refused (409)", async () => {
    renderAccount(() => problem(409, "currency-mismatch", `Account ${TARGET} holds USD, not EUR.`));
    const form = await transfer(TARGET, "25");
    expect(await within(form).findByRole("alert")).toHaveTextContent(
      "The two accounts hold different currencies",
    );
  });

  it("says not enough money is available (409)", async () => {
    renderAccount(() => problem(409, "insufficient-funds", `Account ${SOURCE} has 10000 available, 1000000 needed.`));
    const form = await transfer(TARGET, "10000");
    expect(await within(form).findByRole("alert")).toHaveTextContent("Not enough money available");
  });
});

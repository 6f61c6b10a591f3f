import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { accountDoc } from "../../../test/accounts";
import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const WITHDRAWALS = `POST /v1/accounts/${ACCOUNT}/withdrawals`;

function renderAccount(withdrawals: Handler, account: Handler = () => json(accountDoc(ACCOUNT, USER, 5000, 2))) {
  return renderConsole(
    `/accounts/${ACCOUNT}`,
    {
      [`GET /v1/accounts/${ACCOUNT}`]: account,
      [`GET /v1/accounts/${ACCOUNT}/entries`]: () => json({ items: [], next_cursor: null }),
      [WITHDRAWALS]: withdrawals,
    },
    signedInSession(USER),
  );
}

async function withdraw(amount: string, reference = "rent") {
  const user = userEvent.setup();
  await user.click(await screen.findByRole("radio", { name: "Withdraw" }));
  const form = screen.getByRole("form", { name: "Withdraw" });
  const amountField = within(form).getByLabelText("Amount (EUR)");
  await user.clear(amountField);
  await user.type(amountField, amount);
  const referenceField = within(form).getByLabelText("Reference");
  await user.clear(referenceField);
  await user.type(referenceField, reference);
  await user.click(within(form).getByRole("button", { name: "Withdraw" }));
  return form;
}

const posts = (requests: Request[]) => requests.filter((r) => r.method === "POST");

describe("WithdrawForm", () => {
  it("withdraws the exact minor units and shows the balance read at the withdrawal's version", async () => {
    const { requests } = renderAccount(
      () => json({ id: ACCOUNT, version: 3, events: ["AccountDebited"], streams: { [ACCOUNT]: 3 } }),
      (request) =>
        new URL(request.url).searchParams.get("min_version") === "3"
          ? json(accountDoc(ACCOUNT, USER, 3766, 3))
          : json(accountDoc(ACCOUNT, USER, 5000, 2)),
    );
    await withdraw("12.34");
    expect(await screen.findByRole("status")).toHaveTextContent("Withdrew €12.34.");
    expect(screen.getByTestId("balance")).toHaveTextContent("€37.66");
    const [post] = posts(requests);
    expect(await post?.json()).toEqual({ amount: 1234, reference: "rent" });
    expect(post?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(post?.headers.get("If-Match")).toBeNull();
  });

  it("says in words that there is not enough money (409), and re-reads the account", async () => {
    let reads = 0;
    const { requests } = renderAccount(
      () => problem(409, "insufficient-funds", `Account ${ACCOUNT} has 5000 available, 900000 needed.`),
      () => json(accountDoc(ACCOUNT, USER, ++reads === 1 ? 5000 : 4000, reads === 1 ? 2 : 3)),
    );
    const form = await withdraw("9000");
    expect(await within(form).findByRole("alert")).toHaveTextContent(
      "Not enough money available: the account's available balance does not cover this amount.",
    );
    expect(within(form).getByRole("alert")).not.toHaveTextContent(ACCOUNT);
    await waitFor(() => {
      expect(screen.getByTestId("balance")).toHaveTextContent("€40.00");
    });
    expect(posts(requests)).toHaveLength(1);
  });

  it("says a frozen account cannot be withdrawn from (409)", async () => {
    renderAccount(() => problem(409, "account-frozen", `Account ${ACCOUNT} is frozen.`));
    const form = await withdraw("5");
    expect(await within(form).findByRole("alert")).toHaveTextContent("This account is frozen");
  });

  it("puts the API's field errors on their fields", async () => {
    renderAccount(() =>
      problem(422, "validation-error", "The request is invalid; see errors.", [
        { field: "amount", message: "Input should be less than or equal to 1000000000000000" },
      ]),
    );
    const form = await withdraw("5");
    const amount = within(form).getByLabelText("Amount (EUR)");
    await waitFor(() => {
      expect(amount).toHaveAttribute("aria-invalid", "true");
    });
    expect(amount).toHaveAccessibleDescription(expect.stringContaining("less than or equal to"));
    expect(within(form).queryByRole("alert")).not.toBeInTheDocument();
  });

  it("refuses an amount it cannot read exactly, without asking the API", async () => {
    const { requests } = renderAccount(() => json({}));
    const form = await withdraw("1,5");
    expect(await within(form).findByText('Use "." for decimals.')).toBeInTheDocument();
    expect(posts(requests)).toHaveLength(0);
  });

  it("sends a repeated submission of the same withdrawal with the same Idempotency-Key", async () => {
    let answers = 0;
    const { requests } = renderAccount(() => {
      answers += 1;
      // The first attempt's answer is lost on the way back (the gateway's 502).
      return answers === 1
        ? problem(502, "bad-gateway", "")
        : json({ id: ACCOUNT, version: 3, events: ["AccountDebited"] });
    });
    await withdraw("5");
    // The mutation retries by itself after a second (TanStack Query's first retry delay).
    const status = await screen.findByRole("status", {}, { timeout: 5000 });
    expect(status).toHaveTextContent("Withdrew €5.00.");
    const keys = posts(requests).map((r) => r.headers.get("Idempotency-Key"));
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });
});

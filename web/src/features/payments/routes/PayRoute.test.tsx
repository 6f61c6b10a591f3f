import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { accountDoc, paymentDoc } from "../../../test/accounts";
import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const EUR = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const JPY = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b";
const SHOP = "0d7a6b5c-4e3f-4a2b-9c1d-8e7f6a5b4c3d";
const PAYMENT = "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9";

function renderPay(payments: Handler, path = `/payments/new?from=${JPY}`) {
  return renderConsole(
    path,
    {
      [`GET /v1/users/${USER}/accounts`]: () =>
        json({
          items: [
            accountDoc(EUR, USER, 10000, 2),
            accountDoc(JPY, USER, 5000, 2, { currency: "JPY" }),
          ],
        }),
      "POST /v1/payments": payments,
      [`GET /v1/payments/${PAYMENT}`]: (request) =>
        new URL(request.url).searchParams.get("min_version") === "1"
          ? json(paymentDoc(PAYMENT, JPY, SHOP, { currency: "JPY", amount: 1250 }))
          : problem(404, "not-found", "not projected yet"),
    },
    signedInSession(USER),
  );
}

async function pay(amount: string, merchant = "Corner Shop", payee = SHOP) {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText("Merchant's account number"), payee);
  await user.type(screen.getByLabelText(/^Amount/), amount);
  await user.type(screen.getByLabelText("Merchant"), merchant);
  await user.type(screen.getByLabelText("Description (optional)"), "Order 1234");
  await user.click(screen.getByRole("button", { name: "Pay" }));
}

const posts = (requests: Request[]) => requests.filter((r) => r.method === "POST");

describe("paying a merchant", () => {
  it("pays from the account named in the URL, in its currency, then shows the payment read at its version", async () => {
    const { requests } = renderPay(() =>
      json({ id: PAYMENT, version: 1, events: ["PaymentAuthorized", "AccountFundsHeld"] }, 201),
    );
    expect(await screen.findByLabelText("Pay from")).toHaveValue(JPY);
    await pay("1250");
    expect(await screen.findByRole("heading", { name: "Payment to Corner Shop" })).toBeInTheDocument();
    expect(screen.getByTestId("payment-amount")).toHaveTextContent("¥1,250");
    const [post] = posts(requests);
    expect(await post?.json()).toEqual({
      payer_account_id: JPY,
      payee_account_id: SHOP,
      amount: 1250,
      merchant: "Corner Shop",
      description: "Order 1234",
    });
    expect(post?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("parses the amount in the chosen account's currency", async () => {
    const { requests } = renderPay(() => json({}));
    await userEvent.setup().selectOptions(await screen.findByLabelText("Pay from"), EUR);
    await pay("12.345");
    expect(await screen.findByText("At most 2 decimal places for EUR.")).toBeInTheDocument();
    expect(posts(requests)).toHaveLength(0);
  });

  it("says not enough money is available (409)", async () => {
    renderPay(() => problem(409, "insufficient-funds", `Account ${JPY} has 5000 available, 9000 needed.`));
    await pay("9000");
    expect(await screen.findByRole("alert")).toHaveTextContent("Not enough money available");
  });

  it("puts the API's field errors on their fields", async () => {
    renderPay(() =>
      problem(422, "validation-error", "The request is invalid; see errors.", [
        { field: "merchant", message: "String should have at most 200 characters" },
      ]),
    );
    await pay("10");
    const merchant = screen.getByLabelText("Merchant");
    await waitFor(() => {
      expect(merchant).toHaveAttribute("aria-invalid", "true");
    });
    expect(merchant).toHaveAccessibleDescription(expect.stringContaining("at most 200 characters"));
  });

  it("says on the field that no account has the merchant's number (404)", async () => {
    renderPay(() => problem(404, "not-found", `Account ${SHOP} does not exist`));
    await pay("10");
    const payee = screen.getByLabelText("Merchant's account number");
    await waitFor(() => {
      expect(payee).toHaveAccessibleDescription(
        expect.stringContaining("There is no account with this number."),
      );
    });
  });
});

import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { accountDoc, paymentDoc } from "../../../test/accounts";
import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const MERCHANT = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const PAYER = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const PAYEE = "0d7a6b5c-4e3f-4a2b-9c1d-8e7f6a5b4c3d";
const PAYMENT = "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9";

/** The payment as read at each min_version (none: the first entry). */
function paymentReads(byVersion: Record<string, object>): Handler {
  return (request) => {
    const min = new URL(request.url).searchParams.get("min_version") ?? "none";
    return json(byVersion[min] ?? byVersion.none);
  };
}

function renderPayment(handlers: Record<string, Handler>, user = MERCHANT, own = PAYEE) {
  return renderConsole(
    `/payments/${PAYMENT}`,
    {
      [`GET /v1/users/${user}/accounts`]: () => json({ items: [accountDoc(own, user, 0, 1)] }),
      ...handlers,
    },
    signedInSession(user),
  );
}

const posts = (requests: Request[]) => requests.filter((r) => r.method === "POST");

describe("a payment's page, for its payee", () => {
  it("captures with If-Match at the version shown and reads the payment at the version captured", async () => {
    const { requests } = renderPayment({
      [`GET /v1/payments/${PAYMENT}`]: paymentReads({
        none: paymentDoc(PAYMENT, PAYER, PAYEE),
        "2": paymentDoc(PAYMENT, PAYER, PAYEE, { status: "captured", captured: 5000, version: 2 }),
      }),
      [`POST /v1/payments/${PAYMENT}/capture`]: () =>
        json({
          id: PAYMENT,
          version: 2,
          events: ["PaymentCaptured"],
          streams: { [PAYMENT]: 2, [PAYER]: 5, [PAYEE]: 2 },
        }),
    });
    expect(await screen.findByText("You are paid by this payment.")).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Capture" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Payment captured.");
    expect(screen.getByTestId("payment-status")).toHaveTextContent("Captured");
    expect(screen.getByTestId("payment-captured")).toHaveTextContent("€50.00");
    const [capture] = posts(requests);
    expect(capture?.headers.get("If-Match")).toBe('"1"');
    expect(capture?.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
    // Now a refund is what is left to do.
    expect(screen.getByRole("form", { name: "Refund" })).toBeInTheDocument();
  });

  it("voids, releasing the hold", async () => {
    const { requests } = renderPayment({
      [`GET /v1/payments/${PAYMENT}`]: paymentReads({
        none: paymentDoc(PAYMENT, PAYER, PAYEE),
        "2": paymentDoc(PAYMENT, PAYER, PAYEE, { status: "voided", version: 2 }),
      }),
      [`POST /v1/payments/${PAYMENT}/void`]: () =>
        json({ id: PAYMENT, version: 2, events: ["PaymentVoided"], streams: { [PAYMENT]: 2 } }),
    });
    await userEvent.setup().click(await screen.findByRole("button", { name: "Void" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Payment voided");
    expect(screen.getByTestId("payment-status")).toHaveTextContent("Voided");
    expect(screen.getByText("Nothing more can be done with this payment.")).toBeInTheDocument();
    expect(posts(requests)[0]?.headers.get("If-Match")).toBe('"1"');
  });

  it("says the payment changed meanwhile (412) and reloads it on request", async () => {
    let reads = 0;
    renderPayment({
      [`GET /v1/payments/${PAYMENT}`]: () =>
        json(
          ++reads === 1
            ? paymentDoc(PAYMENT, PAYER, PAYEE)
            : paymentDoc(PAYMENT, PAYER, PAYEE, { status: "voided", version: 2 }),
        ),
      [`POST /v1/payments/${PAYMENT}/capture`]: () =>
        problem(412, "version-mismatch", "expected version 1, found 2"),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Capture" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This changed meanwhile. Reload the page and try again.",
    );
    await user.click(screen.getByRole("button", { name: "Reload the payment" }));
    await waitFor(() => {
      expect(screen.getByTestId("payment-status")).toHaveTextContent("Voided");
    });
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("refunds part of a captured payment, exactly, with If-Match", async () => {
    const captured = { status: "captured", captured: 5000, version: 2 };
    const { requests } = renderPayment({
      [`GET /v1/payments/${PAYMENT}`]: paymentReads({
        none: paymentDoc(PAYMENT, PAYER, PAYEE, captured),
        "3": paymentDoc(PAYMENT, PAYER, PAYEE, {
          ...captured,
          status: "partially_refunded",
          refunded: 1999,
          version: 3,
        }),
      }),
      [`POST /v1/payments/${PAYMENT}/refunds`]: () =>
        json({ id: PAYMENT, version: 3, events: ["PaymentRefunded"], streams: { [PAYMENT]: 3 } }),
    });
    const form = await screen.findByRole("form", { name: "Refund" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Refund amount (EUR)"), "19.99");
    await user.click(within(form).getByRole("button", { name: "Refund" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Refunded €19.99.");
    expect(screen.getByTestId("payment-refunded")).toHaveTextContent("€19.99");
    expect(screen.getByTestId("payment-status")).toHaveTextContent("Partly refunded");
    expect(within(form).getByText("€30.01")).toBeInTheDocument();
    const [refund] = posts(requests);
    expect(await refund?.json()).toEqual({ amount: 1999 });
    expect(refund?.headers.get("If-Match")).toBe('"2"');
  });

  it("refuses a refund of more than is left without asking the API", async () => {
    const { requests } = renderPayment({
      [`GET /v1/payments/${PAYMENT}`]: () =>
        json(paymentDoc(PAYMENT, PAYER, PAYEE, { status: "partially_refunded", captured: 5000, refunded: 4000 })),
    });
    const form = await screen.findByRole("form", { name: "Refund" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Refund amount (EUR)"), "10.01");
    await user.click(within(form).getByRole("button", { name: "Refund" }));
    expect(await within(form).findByText("At most €10.00.")).toBeInTheDocument();
    expect(posts(requests)).toHaveLength(0);

    await user.click(within(form).getByRole("button", { name: "Fill in all that is left" }));
    expect(within(form).getByLabelText("Refund amount (EUR)")).toHaveValue("10.00");
  });

  it("says in words why a refund was refused (409)", async () => {
    renderPayment({
      [`GET /v1/payments/${PAYMENT}`]: () =>
        json(paymentDoc(PAYMENT, PAYER, PAYEE, { status: "captured", captured: 5000, version: 2 })),
      [`POST /v1/payments/${PAYMENT}/refunds`]: () =>
        problem(409, "refund-exceeds-captured", "refund of 5000 exceeds the 3000 left"),
    });
    const form = await screen.findByRole("form", { name: "Refund" });
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("Refund amount (EUR)"), "50");
    await user.click(within(form).getByRole("button", { name: "Refund" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent(
      "The refund is more than what is left to refund of this payment.",
    );
  });
});

describe("a payment's page, for its payer", () => {
  it("shows the payment without the payee's actions", async () => {
    renderPayment(
      { [`GET /v1/payments/${PAYMENT}`]: () => json(paymentDoc(PAYMENT, PAYER, PAYEE)) },
      "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      PAYER,
    );
    expect(await screen.findByText("You pay this payment.")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Payment to Corner Shop" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Capture" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: `Your account ${PAYER}` })).toBeInTheDocument();
  });
});

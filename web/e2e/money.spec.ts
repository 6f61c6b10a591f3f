// Money between two customers through the real gateway and system: Ada deposits and transfers
// to Bob; a withdrawal double-clicked, and one whose answers are lost and submitted again, each
// move the money once; Ada pays Bob (a merchant), who captures and refunds part, and both see
// it; the search finds the payment and narrows it with a facet; the inbox shows what happened.
// Every page is checked with axe and at phone width.
import { expect, test, type Locator, type Page } from "@playwright/test";

import { expectAccessible } from "./accessibility";
import { screenshot } from "./support/screenshots";
import {
  deposit,
  expectFitsPhone,
  newPage,
  openAccount,
  signUpAndLogIn,
  statementLines,
} from "./console";

test.describe.configure({ mode: "serial" });

/** Press the page's refresh button until `locator` shows: for the views that trail the
 * commands (the search index), which the page reads once and refreshes on request. */
async function untilShown(page: Page, refresh: string, locator: Locator): Promise<void> {
  await expect(async () => {
    await page.getByRole("button", { name: refresh }).click();
    await expect(locator).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
}

let ada: Page;
let bob: Page;
let adaAccount: string;
let bobAccount: string;
let paymentUrl: string;

test.beforeAll(async ({ browser }) => {
  ada = await newPage(browser);
  bob = await newPage(browser);
  await signUpAndLogIn(ada, "ada", "Ada Lovelace");
  adaAccount = await openAccount(ada);
  await signUpAndLogIn(bob, "bob", "Bob Merchant");
  bobAccount = await openAccount(bob);
});

test.afterAll(async () => {
  await ada.context().close();
  await bob.context().close();
});

test("a deposit, then a transfer to another customer's account: both balances and statements", async () => {
  await ada.goto(`/accounts/${adaAccount}`);
  await deposit(ada, "100", "salary");
  await expect(ada.getByTestId("balance")).toHaveText("€100.00");

  await ada.getByRole("radio", { name: "Transfer" }).check();
  const transfer = ada.getByRole("form", { name: "Transfer" });
  await expectAccessible(ada);
  await transfer.getByLabel("To account number").fill(bobAccount);
  await transfer.getByLabel("Amount (EUR)").fill("30.25");
  await transfer.getByLabel("Reference").fill("rent for March");
  await transfer.getByRole("button", { name: "Transfer" }).click();
  await expect(transfer.getByRole("status")).toHaveText(`Sent €30.25 to account ${bobAccount}.`);
  await expect(ada.getByTestId("balance")).toHaveText("€69.75");
  await expect(statementLines(ada)).toHaveText([
    /^rent for MarchOut: -€30\.25.*Balance €69\.75$/,
    /^salaryIn: \+€100\.00.*Balance €100\.00$/,
  ]);
  await expectAccessible(ada);
  await expectFitsPhone(ada);

  await bob.goto(`/accounts/${bobAccount}`);
  await expect(bob.getByTestId("balance")).toHaveText("€30.25");
  await expect(statementLines(bob)).toHaveText([/^rent for MarchIn: \+€30\.25.*Balance €30\.25$/]);
});

test("an amount Ada cannot cover is refused in words, and nothing moves", async () => {
  await ada.goto(`/accounts/${adaAccount}`);
  await ada.getByRole("radio", { name: "Withdraw" }).check();
  const withdraw = ada.getByRole("form", { name: "Withdraw" });
  await withdraw.getByLabel("Amount (EUR)").fill("1000");
  await withdraw.getByLabel("Reference").fill("too much");
  await withdraw.getByRole("button", { name: "Withdraw" }).click();
  await expect(withdraw.getByRole("alert")).toHaveText(
    "Not enough money available: the account's available balance does not cover this amount.",
  );
  await expect(ada.getByTestId("balance")).toHaveText("€69.75");
  await expectAccessible(ada);
});

test("a double-clicked withdrawal moves the money once", async () => {
  await ada.goto(`/accounts/${adaAccount}`);
  const posts: (string | undefined)[] = [];
  ada.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/withdrawals")) {
      posts.push(request.headers()["idempotency-key"]);
    }
  });
  await ada.getByRole("radio", { name: "Withdraw" }).check();
  const withdraw = ada.getByRole("form", { name: "Withdraw" });
  await withdraw.getByLabel("Amount (EUR)").fill("9.75");
  await withdraw.getByLabel("Reference").fill("cash machine");
  await withdraw.getByRole("button", { name: "Withdraw" }).dblclick();
  await expect(withdraw.getByRole("status")).toHaveText("Withdrew €9.75.");
  await expect(ada.getByTestId("balance")).toHaveText("€60.00");
  await expect(statementLines(ada).first()).toHaveText(/^cash machineOut: -€9\.75.*Balance €60\.00$/);
  await expect(statementLines(ada)).toHaveCount(3);
  // However many requests the double click made, they were one submission.
  expect(new Set(posts).size).toBe(1);
});

test("a withdrawal whose answers are lost, submitted again, moves the money once", async () => {
  await ada.goto(`/accounts/${adaAccount}`);
  // The API applies the withdrawal, but its answer never reaches the browser: the first three
  // answers (the submission and the console's two automatic retries) are cut off.
  const seen: { key: string | undefined; replayed: string | undefined }[] = [];
  await ada.route("**/v1/accounts/*/withdrawals", async (route) => {
    const response = await route.fetch();
    seen.push({
      key: route.request().headers()["idempotency-key"],
      replayed: response.headers()["idempotent-replayed"],
    });
    if (seen.length <= 3) await route.abort("connectionreset");
    else await route.fulfill({ response });
  });
  await ada.getByRole("radio", { name: "Withdraw" }).check();
  const withdraw = ada.getByRole("form", { name: "Withdraw" });
  await withdraw.getByLabel("Amount (EUR)").fill("5");
  await withdraw.getByLabel("Reference").fill("lost answer");
  await withdraw.getByRole("button", { name: "Withdraw" }).click();
  await expect(withdraw.getByRole("alert")).toContainText("cannot be reached");

  await withdraw.getByRole("button", { name: "Withdraw" }).click();
  await expect(withdraw.getByRole("status")).toHaveText("Withdrew €5.00.");
  await ada.unroute("**/v1/accounts/*/withdrawals");
  await expect(ada.getByTestId("balance")).toHaveText("€55.00");
  expect(seen).toHaveLength(4);
  expect(new Set(seen.map((s) => s.key)).size).toBe(1);
  expect(seen.map((s) => s.replayed)).toEqual([undefined, "true", "true", "true"]);
  await ada.reload();
  await expect(ada.getByTestId("balance")).toHaveText("€55.00");
  await expect(statementLines(ada).filter({ hasText: "lost answer" })).toHaveCount(1);
});

test("Ada pays Bob, Bob captures and refunds part, and both see it", async () => {
  await ada.goto(`/accounts/${adaAccount}`);
  await ada.getByRole("link", { name: "Pay a merchant from this account" }).click();
  await expect(ada.getByRole("heading", { name: "Pay a merchant" })).toBeVisible();
  await expectAccessible(ada);
  await ada.getByLabel("Merchant's account number").fill(bobAccount);
  await ada.getByLabel("Amount (EUR)").fill("25");
  await ada.getByLabel("Merchant", { exact: true }).fill("Corner Coffee Roasters");
  await ada.getByLabel("Description (optional)").fill("Order 77: two bags of beans");
  await ada.getByRole("button", { name: "Pay" }).click();
  await expect(ada.getByRole("heading", { name: "Payment to Corner Coffee Roasters" })).toBeVisible();
  await expect(ada.getByTestId("payment-status")).toHaveText("Authorised");
  await expect(ada.getByText("You pay this payment.")).toBeVisible();
  await expect(ada.getByRole("button", { name: "Capture" })).toHaveCount(0);
  paymentUrl = new URL(ada.url()).pathname;
  await expectAccessible(ada);

  // Bob finds it among his payments (the search index trails by a second or so).
  await bob.goto("/payments");
  await untilShown(bob, "Check for new payments", bob.getByRole("link", { name: "Corner Coffee Roasters" }));
  await bob.getByRole("link", { name: "Corner Coffee Roasters" }).click();
  await expect(bob.getByText("You are paid by this payment.")).toBeVisible();
  await expectAccessible(bob);
  await bob.getByRole("button", { name: "Capture" }).click();
  await expect(bob.getByRole("status")).toHaveText("Payment captured.");
  await expect(bob.getByTestId("payment-status")).toHaveText("Captured");
  await expect(bob.getByTestId("payment-captured")).toHaveText("€25.00");

  const refund = bob.getByRole("form", { name: "Refund" });
  await refund.getByLabel("Refund amount (EUR)").fill("10.50");
  await refund.getByRole("button", { name: "Refund" }).click();
  await expect(bob.getByRole("status")).toHaveText("Refunded €10.50.");
  await expect(bob.getByTestId("payment-status")).toHaveText("Partly refunded");
  await expect(bob.getByTestId("payment-refunded")).toHaveText("€10.50");
  await expect(refund.getByText("€14.50", { exact: true })).toBeVisible();
  await expectAccessible(bob);
  await screenshot(bob, "payment");
  await expectFitsPhone(bob);

  // Both sides' accounts: Ada 55.00 - 25.00 + 10.50; Bob 30.25 + 25.00 - 10.50.
  await bob.getByRole("link", { name: `Your account ${bobAccount}` }).click();
  await expect(bob.getByTestId("balance")).toHaveText("€44.75");
  await expect(statementLines(bob).first()).toHaveText(/^Refund of a paymentOut: -€10\.50/);

  await ada.goto(paymentUrl);
  await expect(ada.getByTestId("payment-status")).toHaveText("Partly refunded");
  await expect(ada.getByTestId("payment-refunded")).toHaveText("€10.50");
  await ada.goto(`/accounts/${adaAccount}`);
  await expect(ada.getByTestId("balance")).toHaveText("€40.50");
  await expect(statementLines(ada).nth(0)).toHaveText(/^Refund of a paymentIn: \+€10\.50/);
  await expect(statementLines(ada).nth(1)).toHaveText(/^PaymentOut: -€25\.00.*Balance €30\.00$/);
  await screenshot(ada, "account");
  await statementLines(ada).nth(0).getByRole("link", { name: "Refund of a payment" }).click();
  await expect(ada).toHaveURL(new RegExp(`${paymentUrl}$`));

  await ada.goto("/accounts");
  await expect(ada.getByRole("link", { name: /EUR account.*€40\.50/ })).toBeVisible();
  await screenshot(ada, "accounts");
});

test("the search finds the payment and a facet narrows it, in the URL", async () => {
  await ada.goto("/payments");
  const search = ada.getByRole("search", { name: "Search payments" });
  await search.getByLabel("Search").fill("beans");
  await search.getByRole("button", { name: "Search" }).click();
  await expect(ada).toHaveURL(/\/payments\?q=beans$/);
  const results = ada.getByRole("list", { name: "Payments" });
  const facets = ada.getByRole("navigation", { name: "Narrow the search" });
  // The index has the refund once the facet counts it.
  await untilShown(ada, "Check for new payments", facets.getByRole("link", { name: "Partly refunded (1)" }));
  await expect(results.getByRole("link", { name: "Corner Coffee Roasters" })).toBeVisible();
  await expect(ada.getByRole("heading", { name: "1 payment found" })).toBeVisible();
  await expectAccessible(ada);
  await screenshot(ada, "payments-search");

  await facets.getByRole("link", { name: "Partly refunded (1)" }).click();
  await expect(ada).toHaveURL(/\/payments\?q=beans&status=partially_refunded$/);
  await expect(search.getByLabel("Status")).toHaveValue("partially_refunded");
  await expect(results.getByRole("link", { name: "Corner Coffee Roasters" })).toBeVisible();

  // The URL is the search: opened afresh (shared, bookmarked) it finds the same.
  await ada.goto("/payments?q=beans&status=captured");
  await expect(ada.getByRole("heading", { name: "No payments match" })).toBeVisible();
  await ada.goto("/payments?q=beans&currency=EUR&min_amount=2500&max_amount=2500");
  await expect(search.getByLabel("Minimum amount (EUR)")).toHaveValue("25.00");
  await expect(ada.getByRole("link", { name: "Corner Coffee Roasters" })).toBeVisible();
  await expectFitsPhone(ada);
});

test("the inbox tells Bob what happened", async () => {
  await bob.goto("/notifications");
  const inbox = bob.getByRole("list", { name: "Notifications" });
  await untilShown(bob, "Check for new ones", inbox.getByText(/Refund of 10\.50 EUR/));
  await expect(inbox).toContainText("30.25 EUR");
  await expect(inbox.getByRole("link", { name: "The payment" }).first()).toBeVisible();
  await expectAccessible(bob);
  await expectFitsPhone(bob);
});

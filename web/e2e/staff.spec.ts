// The staff area through the real system. Staff members are made as an administrator would:
// signed up, a second factor enrolled, the role granted with `ledgerline users grant-role`
// (support/people.ts). An operator freezes a customer's account with a reason (the customer's
// withdrawal on the account page is then refused, and closing a funded account is refused
// too), then unfreezes it; an auditor reads the account's audit trail (events with their
// correlation ids, the hash chain intact, the state at an earlier version); the projections
// status page refreshes by itself. The API refuses a customer the same actions whatever the
// console shows.
import { expect, test, type Browser, type Page } from "@playwright/test";

import { expectAccessible } from "./accessibility";
import { customerWithAccount, logIn, staffMember, type Person } from "./support/people";
import { screenshot } from "./support/screenshots";

async function pageFor(browser: Browser, person: Person): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, person);
  return page;
}

test("an operator freezes and unfreezes an account; an auditor audits it", async ({
  browser,
  request,
}) => {
  const correlationId = `e2e-salary-${Date.now()}`;
  const { customer, auth, accountId } = await customerWithAccount(request, 5000, correlationId);
  const [operator, auditor] = await Promise.all([
    staffMember(request, "operator"),
    staffMember(request, "auditor"),
  ]);

  await test.step("the API refuses a customer the staff endpoints", async () => {
    const freeze = await request.post(`/v1/accounts/${accountId}/freeze`, {
      headers: auth,
      data: { reason: "mine" },
    });
    expect(freeze.status()).toBe(403);
    expect((await request.get("/v1/projections", { headers: auth })).status()).toBe(403);
  });

  await test.step("a customer is not offered the staff area", async () => {
    const page = await pageFor(browser, customer);
    await expect(page.getByRole("link", { name: "Staff" })).toHaveCount(0);
    await page.goto("/staff");
    await expect(page.getByRole("heading", { name: "Staff only" })).toBeVisible();
    await expectAccessible(page);
    await page.context().close();
  });

  const page = await pageFor(browser, operator);
  await test.step("the operator finds the account and freezes it with a reason", async () => {
    await page.getByRole("link", { name: "Staff" }).click();
    await expect(page.getByRole("heading", { name: "Staff" })).toBeVisible();
    await expectAccessible(page);
    await page.getByLabel("Account or user id").fill(accountId);
    await page.getByRole("button", { name: "Find" }).click();
    await expect(page.getByRole("heading", { name: "EUR account" })).toBeVisible();
    await expect(page.getByTestId("account-status")).toHaveText("open");
    await expectAccessible(page);
    await page.getByRole("link", { name: customer.id }).click(); // the owner
    await expect(page.getByRole("link", { name: "EUR account, open" })).toBeVisible();
    await expectAccessible(page);
    await page.getByRole("link", { name: "EUR account, open" }).click();

    await page.getByRole("button", { name: "Freeze account" }).click();
    await expect(page.getByText("Give a reason.")).toBeVisible(); // a reason is required
    await page.getByLabel("Reason").fill("suspicious card activity");
    await page.getByRole("button", { name: "Freeze account" }).click();
    await expect(page.getByRole("status")).toHaveText("The account is frozen.");
    await expect(page.getByTestId("account-status")).toHaveText("frozen");
    await screenshot(page, "staff-account");
  });

  await test.step("the customer's withdrawal in the console is refused, clearly", async () => {
    const own = await pageFor(browser, customer);
    await own.goto(`/accounts/${accountId}`);
    await expect(own.getByTestId("balance")).toHaveText("€50.00");
    await own.getByRole("radio", { name: "Withdraw" }).check();
    const withdraw = own.getByRole("form", { name: "Withdraw" });
    await withdraw.getByLabel("Amount (EUR)").fill("1");
    await withdraw.getByLabel("Reference").fill("cash");
    await withdraw.getByRole("button", { name: "Withdraw" }).click();
    await expect(withdraw.getByRole("alert")).toHaveText(
      "This account is frozen: no money can leave it until it is unfrozen.",
    );
    await expect(own.getByTestId("balance")).toHaveText("€50.00");
    await expectAccessible(own);
    await own.context().close();
  });

  await test.step("closing an account that holds money is refused, clearly", async () => {
    await page.getByLabel("Reason").fill("customer asked");
    await page.getByRole("button", { name: "Close account" }).click();
    await page.getByRole("button", { name: "Yes, close it" }).click();
    await expect(page.getByRole("alert")).toHaveText(
      "Only an account with zero balance and no holds can be closed: this one holds €50.00.",
    );
    await expect(page.getByTestId("account-status")).toHaveText("frozen");
  });

  await test.step("the operator unfreezes it", async () => {
    await page.getByLabel("Reason").fill("customer confirmed the payments");
    await page.getByRole("button", { name: "Unfreeze account" }).click();
    await expect(page.getByRole("status")).toHaveText("The account is unfrozen.");
    await expect(page.getByTestId("account-status")).toHaveText("open");
    await expectAccessible(page);
  });

  await test.step("the operator sees the projections status refresh by itself", async () => {
    await page.getByRole("link", { name: "Projections" }).click();
    await expect(page.getByRole("heading", { name: "Projections status" })).toBeVisible();
    await expect(page.getByTestId("consumer-relay")).toContainText("Relay");
    await expect(page.getByTestId("consumer-mongo")).toContainText("Projector mongo");
    await expect(page.getByTestId("consumer-mongo")).toContainText("Lag per partition");
    await expect(page.getByTestId("consumer-search")).toBeVisible();
    await expect(page.getByTestId("dead-letters-total")).toContainText(".dlq");
    const updated = page.getByTestId("updated-at");
    const first = await updated.textContent();
    await expect(updated).not.toHaveText(first ?? "", { timeout: 15_000 });
    await expectAccessible(page);
    await screenshot(page, "projections");
  });
  await page.context().close();

  const audit = await pageFor(browser, auditor);
  await test.step("the auditor reads the account's audit trail", async () => {
    await audit.goto(`/staff/accounts/${accountId}`);
    await audit.getByRole("link", { name: "Audit trail of this account" }).click();
    await expect(audit.getByRole("heading", { name: "Audit trail: Account" })).toBeVisible();
    await expect(audit.getByTestId("chain-check")).toContainText("Hash chain intact");
    const events = audit.getByTestId("audit-event");
    await expect(events).toHaveCount(4);
    await expect(events.nth(0)).toContainText("1. AccountOpened");
    await expect(events.nth(1)).toContainText("2. AccountCredited");
    await expect(events.nth(1).getByTestId("correlation-id")).toHaveText(correlationId);
    await expect(events.nth(2)).toContainText("3. AccountFrozen");
    await expect(events.nth(2)).toContainText(operator.id);
    await expect(events.nth(3)).toContainText("4. AccountUnfrozen");
    await events.nth(2).getByText("Data and the state after it").click();
    await expect(events.nth(2)).toContainText("suspicious card activity");
    await expectAccessible(audit);
    await screenshot(audit, "audit-trail");

    await audit.getByLabel("Version", { exact: true }).fill("1");
    await audit.getByRole("button", { name: "Show the state" }).click();
    const state = audit.getByTestId("state-at-point");
    await expect(state.locator('[data-field="balance"]')).toContainText("€0.00");
    await expect(state.locator('[data-field="status"]')).toHaveText("open");
    await audit.getByLabel("Version", { exact: true }).fill("3");
    await audit.getByRole("button", { name: "Show the state" }).click();
    await expect(state.locator('[data-field="balance"]')).toContainText("€50.00");
    await expect(state.locator('[data-field="status"]')).toHaveText("frozen");
  });
  await audit.context().close();
});

// A customer's first visit, through the real gateway and the real system: sign up, log in,
// open an account, deposit, see the new balance, log out; every page checked with axe.
import { expect, test } from "@playwright/test";

import { expectAccessible } from "./accessibility";

const PASSWORD = "a quiet lighthouse keeper";

test("a customer signs up, logs in, opens an account and deposits", async ({ page }) => {
  const email = `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

  await page.goto("/signup");
  await expect(page.getByRole("heading", { name: "Sign up" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Full name").fill("Ada Lovelace");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();

  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText("Your account is ready");
  await expect(page.getByLabel("E-mail address")).toHaveValue(email);
  await expectAccessible(page);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();

  await expect(page.getByRole("heading", { name: "Your accounts" })).toBeVisible();
  await expect(page.getByText("You have no accounts yet")).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("Currency").selectOption("EUR");
  await page.getByRole("button", { name: "Open account" }).click();

  await expect(page.getByRole("heading", { name: "EUR account" })).toBeVisible();
  await expect(page.getByTestId("balance")).toHaveText("€0.00");
  await expectAccessible(page);
  await page.getByLabel("Amount (EUR)").fill("1234.5");
  await page.getByLabel("Reference").fill("salary");
  await page.getByRole("button", { name: "Deposit" }).click();

  await expect(page.getByRole("status")).toHaveText("Deposited €1,234.50.");
  await expect(page.getByTestId("balance")).toHaveText("€1,234.50");
  await expectAccessible(page);

  // At phone width the page still fits: nothing scrolls sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  await page.getByRole("link", { name: "All accounts" }).click();
  await expect(page.getByRole("link", { name: /EUR account\s*€1,234\.50/ })).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await page.goto("/accounts");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
});

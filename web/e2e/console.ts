// Steps the end-to-end tests share: a new customer signed up and logged in, an account opened
// and funded through the console's own pages, and the phone-width check.
import { expect, type Browser, type Page } from "@playwright/test";

export const PASSWORD = "a quiet lighthouse keeper";

const BASE_URL = process.env.E2E_BASE_URL ?? "https://127.0.0.1:8443";

export function uniqueEmail(who: string): string {
  return `e2e-${who}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** A page in a browser context of its own (its own session), as the config's pages are. */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: BASE_URL, locale: "en-US" });
  return context.newPage();
}

/** Sign up a new customer and log in; the accounts page is showing. */
export async function signUpAndLogIn(page: Page, who: string, fullName: string): Promise<void> {
  const email = uniqueEmail(who);
  await page.goto("/signup");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Full name").fill(fullName);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Your accounts" })).toBeVisible();
}

/** Open an account from the accounts page; its id (the account page is showing). */
export async function openAccount(page: Page, currency = "EUR"): Promise<string> {
  await page.goto("/accounts");
  await page.getByLabel("Currency").selectOption(currency);
  await page.getByRole("button", { name: "Open account" }).click();
  await expect(page.getByRole("heading", { name: `${currency} account` })).toBeVisible();
  const id = await page.getByTestId("account-number").textContent();
  expect(page.url()).toContain(`/accounts/${id ?? ""}`);
  return id ?? "";
}

/** Deposit on the account page that is showing. */
export async function deposit(page: Page, amount: string, reference: string): Promise<void> {
  await page.getByRole("radio", { name: "Deposit" }).check();
  const form = page.getByRole("form", { name: "Deposit" });
  await form.getByLabel(/^Amount/).fill(amount);
  await form.getByLabel("Reference").fill(reference);
  await form.getByRole("button", { name: "Deposit" }).click();
  await expect(form.getByRole("status")).toContainText("Deposited");
}

/** The statement lines on the account page, newest first, as their text. */
export function statementLines(page: Page) {
  return page.getByRole("list", { name: "Statement" }).getByRole("listitem");
}

/** At phone width nothing on the page scrolls sideways; the viewport is put back. */
export async function expectFitsPhone(page: Page): Promise<void> {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
  expect(overflow, `sideways scrolling at phone width on ${page.url()}`).toBeLessThanOrEqual(0);
  if (viewport) await page.setViewportSize(viewport);
}

// E-mail verification end to end: sign up in the console, the notifier mails a link (read
// here from Mailpit's API), the link's page confirms the address, and the profile says so. The
// token leaves the address bar as soon as the page has read it. A forgotten password is reset
// the same way.
import { expect, test } from "@playwright/test";

import { expectAccessible } from "./accessibility";
import { linkIn, waitForMail } from "./support/mailbox";
import { PASSWORD, logIn, signUp, uniqueEmail } from "./support/people";

test("a new address is confirmed through the link mailed to it", async ({ page }) => {
  const email = uniqueEmail("verify");
  await page.goto("/signup");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Full name").fill("Mary Somerville");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByRole("status")).toContainText("Your account is ready");

  const mail = await waitForMail(email, /confirm|verify/i);
  const link = linkIn(mail, "/verify-email");
  expect(new URL(link).origin).toBe(new URL(page.url()).origin);

  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Confirm your e-mail address" })).toBeVisible();
  await expect(page).toHaveURL(/\/verify-email$/); // the token is out of the address bar
  await expectAccessible(page);
  await page.getByRole("button", { name: "Confirm my e-mail address" }).click();
  await expect(page.getByRole("status")).toHaveText("Thank you: your e-mail address is confirmed.");

  await logIn(page, { id: "", email });
  await page.goto("/settings/profile");
  await expect(page.getByTestId("email-status")).toHaveText("Your e-mail address is confirmed.");
});

test("a forgotten password is reset through the link mailed for it", async ({ page, request }) => {
  const person = await signUp(request, "reset", "Emmy Noether");
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Reset your password" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("E-mail address").fill(person.email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status")).toContainText("If a user has this address");

  const link = linkIn(await waitForMail(person.email, /reset/i), "/reset-password");
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expect(page).toHaveURL(/\/reset-password$/);
  await expectAccessible(page);
  await page.getByLabel("New password").fill("an entirely new lighthouse");
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByRole("status")).toContainText("Your new password is set");

  await page.getByRole("link", { name: "Log in with your new password" }).click();
  await page.getByLabel("E-mail address").fill(person.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toBeVisible(); // the old password no longer works
  await page.getByLabel("Password").fill("an entirely new lighthouse");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Your accounts" })).toBeVisible();
});

// E-mail verification end to end: sign up in the console, the notifier mails a link (read
// here from Mailpit's API), the link's page confirms the address, and the profile says so. The
// token leaves the address bar as soon as the page has read it.
import { expect, test } from "@playwright/test";

import { expectAccessible } from "./accessibility";
import { linkIn, waitForMail } from "./support/mailbox";
import { PASSWORD, logIn, uniqueEmail } from "./support/people";

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

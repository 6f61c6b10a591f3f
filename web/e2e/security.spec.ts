// A customer turns on two-step login in the console (QR code and key shown, confirmed with a
// code computed here from that key as an authenticator app would), keeps the recovery codes,
// logs out, logs back in with a code from the "app", then once with a recovery code; and the
// settings pages pass axe.
import { expect, test } from "@playwright/test";

import { expectAccessible } from "./accessibility";
import { logIn, signUp } from "./support/people";
import { screenshot } from "./support/screenshots";
import { nextCode } from "./support/totp";

const PASSWORD = "a quiet lighthouse keeper";

test("a customer enrols a second factor and logs in with it, and with a recovery code", async ({
  page,
  request,
}) => {
  const customer = await signUp(request, "mfa", "Grace Hopper");
  await logIn(page, customer);

  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Profile" })).toBeVisible();
  await expect(page.getByLabel("E-mail address")).toHaveValue(customer.email);
  await expectAccessible(page);

  await page.getByRole("link", { name: "Password and two-step login" }).click();
  await expect(page.getByText(/Two-step login is\s+off/)).toBeVisible();
  await page.getByRole("button", { name: "Set up two-step login" }).click();
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  expect(secret.replace(/\s/g, "")).toMatch(/^[A-Z2-7]{16,}$/);
  await expectAccessible(page);

  await page.getByLabel("Code from the app").fill("000000");
  await page.getByRole("button", { name: "Turn on two-step login" }).click();
  await expect(page.getByText("The code is not valid (or has been used already).")).toBeVisible();
  await page.getByLabel("Code from the app").fill(await nextCode(secret));
  await page.getByRole("button", { name: "Turn on two-step login" }).click();

  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recoveryCode = (await codes.first().textContent()) ?? "";
  await expect(page.getByRole("button", { name: "Download codes" })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByText(/Two-step login is\s+on/)).toBeVisible();
  await screenshot(page, "settings-security");

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await screenshot(page, "login");
  await logIn(page, { ...customer, secret });

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Sessions" }).click();
  await expect(page.getByRole("heading", { name: "Sessions" })).toBeVisible();
  await expect(page.getByText("This browser")).toBeVisible();
  await expect(page.getByText(/with password and authenticator code/).first()).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("link", { name: "E-mails" }).click();
  await expect(page.getByLabel("Money arrives in one of my accounts")).toBeChecked();
  await expect(page.getByLabel("A login from a new device")).toBeDisabled();
  await page.getByLabel("Money arrives in one of my accounts").uncheck();
  await page.getByRole("button", { name: "Save e-mail settings" }).click();
  await expect(page.getByRole("status")).toHaveText("Your e-mail settings are saved.");
  await page.reload();
  await expect(page.getByLabel("Money arrives in one of my accounts")).not.toBeChecked();
  await expectAccessible(page);

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("E-mail address").fill(customer.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recoveryCode);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { name: "Your accounts" })).toBeVisible();

  // Nothing secret was left in the browser's storage or address bar.
  const stored = await page.evaluate(() =>
    [localStorage, sessionStorage]
      .flatMap((storage) => Object.keys(storage).map((key) => `${key}=${storage.getItem(key) ?? ""}`))
      .join("\n"),
  );
  expect(stored).not.toContain(secret.replace(/\s/g, ""));
  expect(stored).not.toContain("eyJ"); // no JWT (the access token stays in memory)
  expect(page.url()).not.toMatch(/token|secret|code=/i);

  expect(stored).toContain("ledgerline.session"); // signed in: the check above saw the storage

  await page.goto("/settings/sessions");
  await page.getByRole("button", { name: "Log out everywhere" }).click();
  await expect(page.getByRole("status")).toHaveText("You have been logged out.");
  await page.goto("/accounts");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
});

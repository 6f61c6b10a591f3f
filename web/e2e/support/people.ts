// People for the tests, made through the real API (Playwright's `request`, outside the browser:
// the gateway's CA comes from NODE_EXTRA_CA_CERTS): customers with an account, and staff
// members, who need a second factor and a role granted with `ledgerline users grant-role`
// (the administrator's command-line tool, run against the system's event store).
import { execFileSync } from "node:child_process";

import { expect, type APIRequestContext, type Page } from "@playwright/test";

import { nextCode } from "./totp";

export const PASSWORD = "a quiet lighthouse keeper";

export function uniqueEmail(kind: string): string {
  return `e2e-${kind}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export interface Person {
  id: string;
  email: string;
  /** The TOTP secret, when the person has a second factor. */
  secret?: string;
}

async function ok<T>(response: Awaited<ReturnType<APIRequestContext["post"]>>): Promise<T> {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBe(
    true,
  );
  return (await response.json()) as T;
}

export async function signUp(request: APIRequestContext, kind: string, name: string): Promise<Person> {
  const email = uniqueEmail(kind);
  const created = await ok<{ id: string }>(
    await request.post("/v1/users", { data: { email, full_name: name, password: PASSWORD } }),
  );
  return { id: created.id, email };
}

/** A bearer header for a person without a second factor. */
export async function bearer(request: APIRequestContext, person: Person): Promise<Record<string, string>> {
  const tokens = await ok<{ access_token: string }>(
    await request.post("/v1/auth/login", { data: { email: person.email, password: PASSWORD } }),
  );
  return { Authorization: `Bearer ${tokens.access_token}` };
}

/** A customer with an account in EUR holding `minorUnits`, deposited with `correlationId`. */
export async function customerWithAccount(
  request: APIRequestContext,
  minorUnits: number,
  correlationId: string,
): Promise<{ customer: Person; auth: Record<string, string>; accountId: string }> {
  const customer = await signUp(request, "customer", "Ada Lovelace");
  const auth = await bearer(request, customer);
  const account = await ok<{ id: string }>(
    await request.post("/v1/accounts", {
      headers: auth,
      data: { owner_id: customer.id, currency: "EUR" },
    }),
  );
  await ok(
    await request.post(`/v1/accounts/${account.id}/deposits`, {
      headers: { ...auth, "X-Correlation-ID": correlationId, "Idempotency-Key": correlationId },
      data: { amount: minorUnits, reference: "salary" },
    }),
  );
  return { customer, auth, accountId: account.id };
}

function grantRole(email: string, role: string): void {
  const cli = JSON.parse(process.env.E2E_LEDGERLINE_CLI ?? "null") as {
    argv: string[];
    cwd: string;
  } | null;
  if (cli === null) throw new Error("E2E_LEDGERLINE_CLI is not set (tests/web/test_console_e2e.py sets it)");
  const [program, ...args] = cli.argv;
  execFileSync(program ?? "python3", [...args, "users", "grant-role", email, role], {
    cwd: cli.cwd,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
}

/** A staff member with `role`: signed up, TOTP enrolled and confirmed through the API, then
 * the role granted from the command line. */
export async function staffMember(request: APIRequestContext, role: string): Promise<Person> {
  const person = await signUp(request, role, `E2E ${role}`);
  const auth = await bearer(request, person);
  const { secret } = await ok<{ secret: string }>(
    await request.post(`/v1/users/${person.id}/mfa/totp`, { headers: auth }),
  );
  await ok(
    await request.post(`/v1/users/${person.id}/mfa/totp/confirm`, {
      headers: auth,
      data: { code: await nextCode(secret) },
    }),
  );
  grantRole(person.email, role);
  return { ...person, secret };
}

/** Logs `person` in through the console's login page (with the second factor if they have
 * one) and waits for the accounts page. */
export async function logIn(page: Page, person: Person): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("E-mail address").fill(person.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  if (person.secret !== undefined) {
    await expect(page.getByRole("heading", { name: "Second factor" })).toBeVisible();
    await page.getByLabel("Code", { exact: true }).fill(await nextCode(person.secret));
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await expect(page.getByRole("heading", { name: "Your accounts" })).toBeVisible();
}

// A merchant's webhook endpoint through the real gateway, system and notifier: added, its
// signing secret shown once; a test event delivered to a receiver here, signed with that
// secret, and in the delivery log.
import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expectAccessible } from "./accessibility";
import { expectFitsPhone, signUpAndLogIn } from "./console";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let receiver: Server;
const received: Received[] = [];

test.beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});

test.afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

/** Standard Webhooks: v1,base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>")). */
function signed(secret: string, { headers, body }: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const content = `${String(headers["webhook-id"])}.${String(headers["webhook-timestamp"])}.${body}`;
  const expected = `v1,${createHmac("sha256", key).update(content).digest("base64")}`;
  return String(headers["webhook-signature"]).split(" ").includes(expected);
}

test("a merchant adds a webhook endpoint: the secret is shown once and signs the deliveries", async ({
  page,
}) => {
  const { port } = receiver.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/hooks`;
  await signUpAndLogIn(page, "merchant", "Mia Merchant");

  await page.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks" })).toBeVisible();
  await expect(page.getByText("You have no webhook endpoints yet.")).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("URL").fill(url);
  await page.getByLabel("Description (optional)").fill("the shop's order system");
  await page.getByRole("button", { name: "Add the endpoint" }).click();

  const secretBox = page.getByTestId("signing-secret");
  await expect(secretBox).toHaveText(/^whsec_[A-Za-z0-9+/]+=*$/);
  const secret = (await secretBox.textContent()) ?? "";
  await expect(page.getByRole("region", { name: "Endpoint added" })).toBeFocused();
  await expect(page.getByRole("list", { name: "Endpoints" }).getByRole("link", { name: url })).toBeVisible();
  await expectAccessible(page);
  await expectFitsPhone(page);
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(page.getByTestId("signing-secret")).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("list", { name: "Endpoints" })).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);

  await page.getByRole("list", { name: "Endpoints" }).getByRole("link", { name: url }).click();
  await expect(page.getByRole("heading", { name: "Webhook endpoint" })).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
  await page.getByRole("button", { name: "Send a test event" }).click();
  await expect(page.getByRole("status")).toContainText("A test event (webhook.ping) is on its way");
  const log = page.getByRole("list", { name: "Deliveries" });
  await expect(log.getByTestId("delivery-status").first()).toHaveText("delivered", {
    timeout: 30_000,
  });
  await expect(log).toContainText("webhook.ping");
  await expect(log).toContainText(/Attempt 1, .*HTTP 204/);
  await expectAccessible(page);
  await expectFitsPhone(page);

  const ping = received.find((request) => request.body.includes("webhook.ping"));
  expect(ping, "the receiver got the test event").toBeDefined();
  expect(signed(secret, ping as Received)).toBe(true);
});

// Playwright end-to-end tests (e2e/) in Debian's headless Chromium (/usr/bin/chromium, or
// E2E_CHROMIUM: Playwright cannot download its own browsers here) against a running gateway at
// E2E_BASE_URL. tests/web/test_console_e2e.py starts a whole system and runs them.
//
// TLS: the gateway's certificate comes from the development CA, which this Chromium does not
// trust. Rather than ignoring certificate errors everywhere (ignoreHTTPSErrors), Chromium is
// told to accept that one certificate, E2E_SERVER_CERT_FILE (the PEM chain the gateway
// presents, server certificate first), by the SHA-256 hash of its public key
// (--ignore-certificate-errors-spki-list; the CA itself is not in the chain sent, so its key
// cannot be named there): any other certificate is still checked. Requests a test intercepts
// and replays (route.fetch) go out from Node, not Chromium: NODE_EXTRA_CA_CERTS names the CA for
// those.
import { defineConfig } from "@playwright/test";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

/** The base64 SHA-256 of the first certificate's SubjectPublicKeyInfo in a PEM file. */
function spkiHash(pemFile: string): string {
  const certificate = new X509Certificate(readFileSync(pemFile));
  const spki = certificate.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

const serverCertFile = process.env.E2E_SERVER_CERT_FILE;

export default defineConfig({
  testDir: "e2e",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.E2E_BASE_URL ?? "https://127.0.0.1:8443",
    browserName: "chromium",
    headless: true,
    locale: "en-US",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
      args: serverCertFile
        ? [`--ignore-certificate-errors-spki-list=${spkiHash(serverCertFile)}`]
        : [],
    },
  },
});

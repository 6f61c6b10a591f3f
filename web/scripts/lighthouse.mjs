// Lighthouse (npm `lighthouse`, headless Debian Chromium) on the console's login page and, signed
// in, its accounts page, on a mobile (Lighthouse's default: a mid-range phone on slow 4G,
// simulated) and a desktop profile; prints the performance and accessibility scores beside the
// goal (>= 90 each). A measurement, not a test: the scores move with the machine's load.
//
//   node scripts/lighthouse.mjs --base-url https://127.0.0.1:8443 [--cert-file server.pem]
//
// against a running gateway (`ledgerline dev run`). The gateway's certificate comes from the
// development CA, which Chromium does not trust: --cert-file names the PEM chain it presents,
// and Chromium accepts that one certificate by its public key (as web/playwright.config.ts
// does). The accounts page needs a session, kept in the tab's sessionStorage, so Lighthouse
// cannot open it in a tab of its own: the script drives one tab with puppeteer (Lighthouse's
// own driver), signs a new customer in there (signed up through the API) and opens an account, then has Lighthouse
// audit the accounts page in that tab without resetting its storage. CHROME_PATH picks the
// browser (default /usr/bin/chromium).
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import puppeteer from "puppeteer-core";

const GOAL = 90;
const PASSWORD = "a quiet lighthouse keeper";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string", default: "https://127.0.0.1:8443" },
    "cert-file": { type: "string" },
  },
});
const baseUrl = args["base-url"].replace(/\/$/, "");

function spkiHash(pemFile) {
  const certificate = new X509Certificate(readFileSync(pemFile));
  const spki = certificate.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless=new",
    "--no-sandbox",
    ...(args["cert-file"]
      ? [`--ignore-certificate-errors-spki-list=${spkiHash(args["cert-file"])}`]
      : []),
  ],
});

/** Sign a new customer up (through the API) and in on `page` (through the login page), and
 * open an EUR account. Node's own requests trust the development CA through
 * NODE_EXTRA_CA_CERTS. */
async function signIn(page) {
  const email = `lighthouse-${Date.now()}@example.com`;
  const signUp = await fetch(`${baseUrl}/v1/users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, full_name: "Lighthouse Keeper", password: PASSWORD }),
  });
  if (!signUp.ok) throw new Error(`sign-up: ${signUp.status} ${await signUp.text()}`);
  await page.goto(`${baseUrl}/login`);
  await page.locator("::-p-aria(E-mail address)").fill(email);
  await page.locator("::-p-aria(Password)").fill(PASSWORD);
  await page.locator('::-p-aria([name="Log in"][role="button"])').click();
  await page.waitForSelector('::-p-aria([name="Your accounts"][role="heading"])');
  await page.locator('::-p-aria([name="Open account"][role="button"])').click();
  await page.waitForSelector('::-p-aria([name="EUR account"][role="heading"])');
}

const profiles = [
  { name: "mobile", config: undefined },
  { name: "desktop", config: desktopConfig },
];
const rows = [];
try {
  // The signed-in tab first, then the login page in a tab of its own.
  const signedIn = await browser.newPage();
  await signIn(signedIn);
  for (const profile of profiles) {
    const accounts = await lighthouse(
      `${baseUrl}/accounts`,
      {
        logLevel: "error",
        onlyCategories: ["performance", "accessibility"],
        disableStorageReset: true, // keep the session in sessionStorage
      },
      profile.config,
      signedIn,
    );
    rows.push({ page: "accounts", profile: profile.name, lhr: accounts.lhr });
  }
  const page = await browser.newPage();
  for (const profile of profiles) {
    const login = await lighthouse(
      `${baseUrl}/login`,
      { logLevel: "error", onlyCategories: ["performance", "accessibility"] },
      profile.config,
      page,
    );
    rows.push({ page: "login", profile: profile.name, lhr: login.lhr });
  }
} finally {
  await browser.close();
}

let allMet = true;
console.log(`Lighthouse ${rows[0]?.lhr.lighthouseVersion ?? ""} on ${baseUrl} (goal >= ${GOAL})`);
console.log("page      profile   performance  accessibility");
for (const { page, profile, lhr } of rows) {
  const score = (category) => Math.round((lhr.categories[category]?.score ?? 0) * 100);
  const mark = (value) => `${String(value).padStart(3)} ${value >= GOAL ? "ok " : "LOW"}`;
  const performance = score("performance");
  const accessibility = score("accessibility");
  allMet &&= performance >= GOAL && accessibility >= GOAL;
  if (lhr.runtimeError) console.log(`  ${page} ${profile}: ${lhr.runtimeError.message}`);
  console.log(
    `${page.padEnd(9)} ${profile.padEnd(9)} ${mark(performance).padEnd(12)} ${mark(accessibility)}`,
  );
}
console.log(allMet ? "goal met" : "goal not met");

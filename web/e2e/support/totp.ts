// TOTP codes in the tests, as an authenticator app would compute them (RFC 6238 with the
// `otpauth` library), from the secret the console shows. The API accepts each 30-second step
// once per user and one step of drift either way, so the codes here never reuse a step: the
// next code is for the current step, or the step after the last one used (waiting when that
// would be more than one step ahead).
import { TOTP } from "otpauth";

const PERIOD_S = 30;
const lastStep = new Map<string, number>();

function totpFor(secret: string): TOTP {
  return new TOTP({ issuer: "Ledgerline", secret, digits: 6, period: PERIOD_S, algorithm: "SHA1" });
}

/** A code for a step of `secret` that has not been used yet. */
export async function nextCode(secret: string): Promise<string> {
  const clean = secret.replace(/\s/g, "");
  let now = Math.floor(Date.now() / 1000 / PERIOD_S);
  const step = Math.max(now, (lastStep.get(clean) ?? -1) + 1);
  while (step > now + 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    now = Math.floor(Date.now() / 1000 / PERIOD_S);
  }
  lastStep.set(clean, step);
  return totpFor(clean).generate({ timestamp: step * PERIOD_S * 1000 });
}

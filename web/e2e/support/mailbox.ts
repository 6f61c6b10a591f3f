// The mail the notifier sent, read from Mailpit's HTTP API (E2E_MAILPIT_URL), as
// tests/mailbox.py does on the Python side: a test waits for the newest message to its own
// unique address.
import { expect } from "@playwright/test";

interface Summary {
  ID: string;
  Subject: string;
  To: { Address: string }[] | null;
}

function mailpit(): string {
  const url = process.env.E2E_MAILPIT_URL;
  if (!url) throw new Error("E2E_MAILPIT_URL is not set (tests/web/test_console_e2e.py sets it)");
  return url.replace(/\/$/, "");
}

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${mailpit()}/api/v1${path}`);
  if (!response.ok) throw new Error(`Mailpit ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** The text part of the newest message to `address` whose subject contains `subject`, once
 * one has arrived. */
export async function waitForMail(address: string, subject: RegExp): Promise<string> {
  let found: Summary | undefined;
  await expect
    .poll(
      async () => {
        const query = encodeURIComponent(`to:"${address}"`);
        const { messages } = await get<{ messages: Summary[] | null }>(`/search?query=${query}`);
        found = (messages ?? []).find(
          (mail) =>
            subject.test(mail.Subject) &&
            (mail.To ?? []).some((to) => to.Address.toLowerCase() === address.toLowerCase()),
        );
        return found !== undefined;
      },
      { message: `a mail to ${address} about ${subject}`, timeout: 30_000, intervals: [250] },
    )
    .toBe(true);
  const message = await get<{ Text: string }>(`/message/${(found as Summary).ID}`);
  return message.Text;
}

/** The first link in `text` to the console's `path` (e.g. "/verify-email"). */
export function linkIn(text: string, path: string): string {
  const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const match = new RegExp(`https?://[^\\s<>"]+${escaped}\\?token=[^\\s<>"]+`).exec(text);
  if (match === null) throw new Error(`no ${path} link in the mail:\n${text}`);
  return match[0];
}

// Screenshots of the main pages for the README (docs/screenshots/), taken only when
// E2E_SCREENSHOTS_DIR names a folder: an ordinary run (CI's) leaves the committed files alone.
// 1280×800, the viewport only (not the whole page), PNG; the viewport is put back afterwards.
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import type { Page } from "@playwright/test";

const DIR = process.env.E2E_SCREENSHOTS_DIR;

/** Save the page as `<name>.png` in E2E_SCREENSHOTS_DIR, when it is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!DIR) return;
  mkdirSync(DIR, { recursive: true });
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(DIR, `${name}.png`), animations: "disabled", caret: "hide" });
  if (viewport) await page.setViewportSize(viewport);
}

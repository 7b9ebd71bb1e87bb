// Debian's Chromium (apt-get install chromium), driven by playwright-core: never a downloaded
// browser. The flags keep it off the network (this machine's network is closed) and quiet.

import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.RNNKIT_CHROMIUM ?? "/usr/bin/chromium";

export const chromiumPresent = (): boolean => existsSync(CHROMIUM);

/** Playwright gives every launch a fresh, empty profile (its own --user-data-dir) and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

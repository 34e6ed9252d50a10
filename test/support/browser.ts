/**
 * Headless Chromium for end-to-end tests: Debian's `chromium` driven by playwright-core (which
 * cannot download browsers here). `.ci/run` installs it; elsewhere the browser tests skip with a
 * reason when it is missing, except under CI, where a missing browser is a failure.
 */
import fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.DOMUS_CHROMIUM ?? '/usr/bin/chromium';

/** A skip reason for node:test when no browser can run here, or false. */
export function browserSkipReason(): string | false {
  if (fs.existsSync(CHROMIUM_PATH) || process.env.CI) return false;
  return `needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set DOMUS_CHROMIUM)`;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * The operator console in headless Chromium (issue 12): sign in through the sign-in form, check
 * a page with axe-core (WCAG 2.1 AA; injected through the DevTools protocol, which the page's CSP
 * does not govern, so the CSP under test stays as served), collect what the browser refused or
 * threw, and write a screenshot of each page to artifacts/console/ for the run's records.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const SCREENSHOT_DIR = path.resolve('artifacts', 'console');

export interface ConsolePage {
  page: Page;
  /** Errors the browser logged (CSP refusals among them) and exceptions thrown by the page. */
  problems: string[];
  close(): Promise<void>;
}

/** A new browser context signed in to the console of `url` with `credential`. */
export async function signedIn(browser: Browser, url: string, credential: string): Promise<ConsolePage> {
  const opened = await openPage(browser);
  await opened.page.goto(`${url}/console/`);
  await opened.page.waitForURL(`${url}/console/sign-in`);
  await opened.page.getByLabel('Admin token or operator password').fill(credential);
  await opened.page.getByRole('button', { name: 'Sign in' }).click();
  await opened.page.waitForURL(`${url}/console/`);
  return opened;
}

/** A new browser context, not signed in. */
export async function openPage(browser: Browser): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[0-9]/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems, close: () => context.close() };
}

/** Goes to a console path (`/domains`) and waits until its heading shows `title`. */
export async function visit(opened: ConsolePage, url: string, consolePath: string, title: string | RegExp) {
  await opened.page.goto(`${url}/console${consolePath}`);
  await opened.page.getByRole('heading', { level: 1, name: title }).waitFor();
  await opened.page.waitForFunction(() => !document.body.textContent?.includes('Loading…'));
}

/** axe-core's WCAG 2.1 A and AA violations on the page as it is now (none expected). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<AxeResults> } })
      .axe;
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  return violations;
}

interface AxeResults {
  violations: { id: string; help: string; nodes: { target: string[] }[] }[];
}

/** Checks the page has no accessibility violation and nothing was refused, and writes its screenshot. */
export async function checkPage(opened: ConsolePage, name: string): Promise<void> {
  assert.deepEqual(await accessibilityViolations(opened.page), [], `axe-core on ${name}`);
  assert.deepEqual(opened.problems, [], `browser errors on ${name}`);
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await opened.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

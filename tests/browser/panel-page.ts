/**
 * Shared by the browser tests: Chromium's path and flags, the site they open (built, served, a
 * browser launched), and page helpers (what went wrong on a page, the panel's run state and its
 * error text, a run to its end).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type BuildStep, build } from '../../src/server/build';
import { type Running, startServer } from '../server/helpers';
import { CHROMIUM, LAUNCH_ARGS } from './chromium';

export { CHROMIUM, CHROMIUM_MISSING, LAUNCH_ARGS } from './chromium';

/** Where the browser tests save their screenshots. */
export const SHOTS = path.join(__dirname, '../../test-output/screenshots');

/** Builds `steps` of the site, serves it and launches Chromium (the screenshots folder made). */
export async function openSite(steps: BuildStep[]): Promise<{ site: Running; browser: Browser }> {
  await build({ steps });
  const site = await startServer();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  fs.mkdirSync(SHOTS, { recursive: true });
  return { site, browser };
}

/** Console errors, page errors, failed requests and HTTP errors on a page. */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text().slice(0, 300)}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message.slice(0, 300)}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

export async function state(page: Page, states: string[], timeout = 90_000): Promise<string> {
  await page.waitForFunction((s) => s.includes(document.getElementById('panel-root')?.dataset.state ?? ''), states, {
    timeout,
  });
  return page.evaluate(() => document.getElementById('panel-root')!.dataset.state!);
}

export async function panelError(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      (window as unknown as { gensparsePanel?: { error?: string } }).gensparsePanel?.error ??
      document.querySelector('.error-box')?.textContent ??
      '',
  );
}

/** Starts the panel and waits until the run is done (its last step). */
export async function runToEnd(page: Page): Promise<void> {
  await page.click('#btn-start');
  const s = await state(page, ['done', 'error'], 240_000);
  if (s === 'error') throw new Error(`panel error: ${await panelError(page)}`);
  // The last draw (probe, charts) follows the last step.
  await page.waitForTimeout(500);
}

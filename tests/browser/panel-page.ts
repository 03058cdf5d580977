/**
 * Shared by the browser tests: Chromium's path and flags, and page helpers (what went wrong on a
 * page, the panel's run state and its error text).
 */
import * as fs from 'node:fs';
import type { Page } from 'playwright-core';

/** Debian's chromium, which the browser tests drive (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';
/** Chromium's flags for the tests (headless in a container, no background traffic; WebGPU on). */
export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];
/** Why the browser tests cannot run here ('' when they can). */
export const CHROMIUM_MISSING = fs.existsSync(CHROMIUM)
  ? ''
  : `${CHROMIUM} not found (apt-get install chromium; .ci/run does it)`;

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

/**
 * Page helpers shared by the SAE lessons' browser tests: what went wrong on a page, the panel's
 * run state and its error text.
 */
import type { Page } from 'playwright-core';

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

/**
 * Lesson 10 (transcoders) in headless Chromium on wasm: the transcoder trains in the page's
 * worker on the character model's MLP, the splice figures are drawn, no console errors, and
 * nothing scrolls sideways at 390 px. Screenshots go to test-output/screenshots.
 */
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Running } from '../server/helpers';
import { CHROMIUM_MISSING, SHOTS, openSite, panelError, state, watch } from './panel-page';

const URL_PATH = '/lessons/sae-transcoders?backend=wasm';

const missing = CHROMIUM_MISSING;
if (missing) console.warn(`SKIPPING the lesson 10 browser test: ${missing}`);

/** Presses Step `n` times (each a logged step), waiting for each. */
async function steps(page: Page, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await page.click('#btn-step');
    await page.waitForFunction((s) => Number(document.getElementById('panel-root')?.dataset.step) >= s, i, {
      timeout: 60_000,
    });
    await state(page, ['paused', 'error']);
  }
}

/** The page's width beyond the viewport (0 when nothing scrolls sideways). */
function sideways(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

(missing ? describe.skip : describe)('lesson 10 in headless Chromium', () => {
  let site: Running;
  let browser: Browser;

  beforeAll(async () => {
    ({ site, browser } = await openSite(['js', 'wasm', 'katex', 'charlm']));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test('trains a transcoder on wasm and draws the splice figures; no errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const problems = watch(page);
    await page.goto(`${site.base}${URL_PATH}`);
    expect([await state(page, ['ready', 'error']), await panelError(page)]).toEqual(['ready', '']);
    expect(await page.textContent('#backend')).toMatch(/^backend: wasm/);
    await steps(page, 3);
    expect(await panelError(page)).toBe('');
    // Train on: Start, then Pause once 30 steps have run in the worker.
    await page.click('#btn-start');
    await page.waitForFunction(() => Number(document.getElementById('panel-root')?.dataset.step) >= 30, null, {
      timeout: 120_000,
    });
    await page.click('#btn-pause');
    await state(page, ['paused', 'error']);
    expect(await panelError(page)).toBe('');
    // The probes after the pause: the splice figure's title (its aria-label) names a step >= 30.
    await page.waitForFunction(
      () => {
        const label = document.querySelector('.view[data-figure="splice"] canvas')?.getAttribute('aria-label') ?? '';
        return Number(/^step (\d+)/.exec(label)?.[1] ?? -1) >= 30;
      },
      null,
      { timeout: 60_000 },
    );
    await page.waitForSelector('.view[data-figure="recovered"]:not([hidden]) canvas', { timeout: 60_000 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'lesson10-desktop.png'), fullPage: false });
    await page.setViewportSize({ width: 1366, height: 2600 });
    await page.waitForTimeout(300);
    await page.locator('#panel').screenshot({ path: path.join(SHOTS, 'lesson10-panel-desktop.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);

  test('at 390 px the page fits the width', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const problems = watch(page);
    await page.goto(`${site.base}${URL_PATH}`);
    expect(await state(page, ['ready', 'error'])).toBe('ready');
    await steps(page, 1);
    await page.waitForSelector('.view[data-figure="splice"]:not([hidden]) canvas', { timeout: 60_000 });
    expect(await sideways(page)).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'lesson10-phone.png'), fullPage: false });
    await page.locator('#panel').screenshot({ path: path.join(SHOTS, 'lesson10-panel-phone.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});

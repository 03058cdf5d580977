import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { FRONTIER_DB } from '../../src/server/browser/frontier-store';
import { discoverLessons } from '../../src/server/lessons';
import type { Running } from '../server/helpers';
import { CHROMIUM_MISSING, SHOTS, openSite, panelError, runToEnd, state, watch } from './panel-page';

const IDS = ['sae-basics', 'sae-topk', 'sae-jumprelu'];

const missing = CHROMIUM_MISSING;
if (missing) console.warn(`SKIPPING the SAE lesson browser tests: ${missing}`);
const withPanels = discoverLessons().filter((l) => IDS.includes(l.id) && l.hasPanel && l.status === 'ready');

/** For each figure view of the panel (by name): whether it holds a drawn canvas. */
async function figureCanvases(page: Page): Promise<Record<string, boolean>> {
  return page.evaluate(() =>
    Object.fromEntries(
      Array.from(document.querySelectorAll<HTMLElement>('#panel-views .view[data-figure]')).map((v) => {
        const c = v.querySelector('canvas');
        return [v.dataset.figure!, Boolean(c && c.width > 0 && c.height > 0)];
      }),
    ),
  );
}

/** Starts the panel, waits for `steps` steps (or the end), pauses. */
async function train(page: Page, steps: number): Promise<void> {
  await page.click('#btn-start');
  await page.waitForFunction(
    (n) => {
      const root = document.getElementById('panel-root')!;
      return Number(root.dataset.step) >= n || root.dataset.state === 'error' || root.dataset.state === 'done';
    },
    steps,
    { timeout: 300_000 },
  );
  await page.click('#btn-pause').catch(() => undefined);
  const s = await state(page, ['paused', 'done', 'error']);
  if (s === 'error') throw new Error(`panel error: ${await panelError(page)}`);
  await page.waitForTimeout(800); // the figures are drawn after the last chunk
}

(missing ? describe.skip : describe)('SAE lessons 4-6 in headless Chromium', () => {
  let site: Running;
  let browser: Browser;

  beforeAll(async () => {
    ({ site, browser } = await openSite(['js', 'wasm', 'katex']));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test('the ready SAE lessons have panels', () => {
    const ready = discoverLessons().filter((l) => IDS.includes(l.id) && l.status === 'ready');
    expect(ready.length).toBeGreaterThan(0);
    for (const l of ready) expect([l.id, l.hasPanel]).toEqual([l.id, true]);
  });

  test.each(withPanels.map((l) => l.id))(
    'lesson %s: loads, trains on wasm, every figure is drawn, the loss falls, no errors',
    async (id) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems = watch(page);
      await page.goto(`${site.base}/lessons/${id}?backend=wasm`);
      expect([await state(page, ['ready', 'error']), await panelError(page)]).toEqual(['ready', '']);
      expect(await page.textContent('#backend')).toMatch(/^backend: wasm/);
      expect(await page.locator('section.step').count()).toBeGreaterThanOrEqual(6);
      expect(await page.locator('figure.source').count()).toBeGreaterThanOrEqual(4);
      await train(page, 200);
      const drawn = await figureCanvases(page);
      expect(Object.keys(drawn).length).toBeGreaterThanOrEqual(3);
      for (const [name, ok] of Object.entries(drawn)) expect([name, ok]).toEqual([name, true]);
      const loss = JSON.parse((await page.getAttribute('#loss-chart', 'data-series')) ?? '{}') as Record<
        string,
        number[]
      >;
      const first = Object.values(loss)[0];
      expect(first.length).toBeGreaterThan(5);
      expect(first.at(-1)!).toBeLessThan(first[0]);
      await page.screenshot({ path: path.join(SHOTS, `${id}.png`), fullPage: false });
      expect(problems).toEqual([]);
      await page.close();
    },
    300_000,
  );

  /** The frontier runs stored in the page's IndexedDB (src/server/browser/frontier-store.ts), waiting up to 5 s for `want`. */
  async function storedRuns(page: Page, want?: number): Promise<number> {
    let count = 0;
    for (let tries = 0; tries < 50; tries++) {
      count = await page.evaluate(
        (db) =>
          new Promise<number>((resolve) => {
            const open = indexedDB.open(db.name, 1);
            open.onupgradeneeded = () => open.result.createObjectStore(db.store);
            open.onsuccess = () => {
              const get = open.result.transaction(db.store, 'readonly').objectStore(db.store).get(db.key);
              get.onsuccess = () => resolve(Array.isArray(get.result) ? get.result.length : 0);
              get.onerror = () => resolve(-1);
            };
            open.onerror = () => resolve(-1);
          }),
        FRONTIER_DB,
      );
      if (want === undefined || count === want) break;
      await page.waitForTimeout(100);
    }
    return count;
  }

  test('lesson 4: a finished run adds a frontier point that lesson 5 still has', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${site.base}/lessons/sae-basics?backend=wasm&lambda=3`);
    expect(await state(page, ['ready', 'error'])).toBe('ready');
    const before = await storedRuns(page);
    await runToEnd(page);
    expect(await storedRuns(page, before + 1)).toBe(before + 1);

    // Lesson 5 in the same browser profile shows the stored ReLU point on its frontier.
    if (withPanels.some((l) => l.id === 'sae-topk')) {
      const next = await context.newPage();
      problems.push(...watch(next));
      await next.goto(`${site.base}/lessons/sae-topk?backend=wasm`);
      expect(await state(next, ['ready', 'error'])).toBe('ready');
      await next.waitForTimeout(500);
      await next.waitForFunction(() => Boolean(document.querySelector('.view[data-figure="frontier"] canvas')));
      expect(await storedRuns(next, before + 1)).toBe(before + 1);
    }
    expect(problems).toEqual([]);
    await context.close();
  }, 600_000);
});

import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { discoverLessons } from '../../src/server/lessons';
import type { Running } from '../server/helpers';
import { CHROMIUM_MISSING, SHOTS, openSite, panelError, runToEnd, state, watch } from './panel-page';

const IDS = ['sae-progressive', 'sae-matryoshka'];

const missing = CHROMIUM_MISSING;
if (missing) console.warn(`SKIPPING the SAE lesson 7-8 browser tests: ${missing}`);
const withPanels = discoverLessons().filter((l) => IDS.includes(l.id) && l.hasPanel && l.status === 'ready');

/** For each figure view of the panel (and each inline {{figure}} slot), whether a chart canvas was drawn. */
async function figuresDrawn(page: Page): Promise<Record<string, boolean>> {
  return page.evaluate(() =>
    Object.fromEntries(
      Array.from(document.querySelectorAll<HTMLElement>('.view[data-figure]')).map((v, i) => [
        `${v.dataset.figure}#${i}`,
        v.querySelector('.figure-holder canvas') !== null,
      ]),
    ),
  );
}

(missing ? describe.skip : describe)('SAE lessons 7-8 in headless Chromium', () => {
  let site: Running;
  let browser: Browser;

  beforeAll(async () => {
    ({ site, browser } = await openSite(['js', 'wasm', 'katex']));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test('lessons 7 and 8 are ready and have panels', () => {
    expect(withPanels.map((l) => l.id)).toEqual(['sae-progressive', 'sae-matryoshka']);
  });

  test.each(withPanels.map((l) => l.id))(
    'lesson %s: loads, trains a run to the end on wasm, every chart has data, no errors',
    async (id) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems = watch(page);
      await page.goto(`${site.base}/lessons/${id}?backend=wasm`);
      expect([await state(page, ['ready', 'error']), await panelError(page)]).toEqual(['ready', '']);
      expect(await page.textContent('#backend')).toMatch(/^backend: wasm/);
      expect(await page.locator('section.step').count()).toBeGreaterThanOrEqual(6);
      expect(await page.locator('figure.source').count()).toBeGreaterThanOrEqual(4);
      await runToEnd(page);
      const drawn = await figuresDrawn(page);
      expect(Object.keys(drawn).length).toBeGreaterThanOrEqual(3);
      for (const [name, ok] of Object.entries(drawn)) expect([name, ok]).toEqual([name, true]);
      const loss = JSON.parse((await page.getAttribute('#loss-chart', 'data-series')) ?? '{}') as Record<
        string,
        number[]
      >;
      const first = Object.values(loss)[0];
      expect(first.length).toBeGreaterThan(5);
      for (const v of first) expect(Number.isFinite(v)).toBe(true);
      expect(first.at(-1)!).toBeLessThan(first[0]); // the first curve is a loss
      await page.screenshot({ path: path.join(SHOTS, `${id}.png`), fullPage: false });
      expect(problems).toEqual([]);
      await page.close();
    },
    400_000,
  );
});

/**
 * What a new user does in the first minutes on a lesson page, in headless Chromium: presses Start
 * as soon as the button is there (the training worker is still loading tfjs and building the model),
 * which must start the run once it is ready, never be swallowed.
 *
 * Skips visibly when /usr/bin/chromium is missing (.ci/run installs it).
 */
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type { Running } from '../server/helpers';
import { CHROMIUM_MISSING, SHOTS, openSite, panelError, state, watch } from './panel-page';

const missing = CHROMIUM_MISSING;
if (missing) console.warn(`SKIPPING the browser tests: ${missing}`);
const maybe = missing ? describe.skip : describe;

maybe('a new user on a lesson page', () => {
  let site: Running;
  let browser: Browser;

  beforeAll(async () => {
    ({ site, browser } = await openSite(['js', 'wasm', 'katex', 'mnist', 'charlm']));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test.each([
    ['vae-intro', 1366, 900],
    ['sae-basics', 390, 844],
  ])(
    'lesson %s at %i px: Start pressed while the model loads is queued, shown, and the run starts when ready',
    async (id, width, height) => {
      const page = await browser.newPage({ viewport: { width, height } });
      const problems = watch(page);
      await page.goto(`${site.base}/lessons/${id}?backend=wasm`, { waitUntil: 'commit' });
      // Click in the same frame the button appears in: the run cannot be ready yet.
      const clickedIn = (await (
        await page.waitForFunction(
          () => {
            const b = document.getElementById('btn-start') as HTMLButtonElement | null;
            if (!b) return null;
            const was = document.getElementById('panel-root')?.dataset.state ?? 'none';
            b.click();
            return was;
          },
          null,
          { polling: 'raf', timeout: 60_000 },
        )
      ).jsonValue()) as string;
      // 'none': the panel has not shown a state yet; either way not ready, so a click used to be lost.
      expect(['loading', 'none']).toContain(clickedIn);
      // While it loads, the page says the click was taken.
      const queued = await page.evaluate(() => ({
        status: document.getElementById('panel-status')?.textContent ?? '',
        disabled: (document.getElementById('btn-start') as HTMLButtonElement).disabled,
        state: document.getElementById('panel-root')?.dataset.state,
      }));
      if (queued.state === 'loading') {
        expect(queued.status).toContain('training starts when ready');
        expect(queued.disabled).toBe(true);
        await page.screenshot({ path: path.join(SHOTS, `${id}-${width}-start-queued.png`) });
      }
      await page.waitForFunction(() => Number(document.getElementById('panel-root')!.dataset.step) >= 5, null, {
        timeout: 120_000,
      });
      await page.click('#btn-pause');
      expect(await state(page, ['paused', 'done', 'error'], 60_000)).not.toBe('error');
      expect(await panelError(page)).toBe('');
      await page.screenshot({ path: path.join(SHOTS, `${id}-${width}-after-early-start.png`) });
      expect(problems).toEqual([]);
      await page.close();
    },
    180_000,
  );
});

/**
 * What a new user does in the first minutes on a lesson page, in headless Chromium: presses Start
 * as soon as the button is there (the training worker is still loading tfjs and building the model),
 * which must start the run once it is ready, never be swallowed; mistypes ?backend= (reported, the
 * automatic choice used, like any bad setting); presses a "Try it" button deep in the text on a
 * phone (the panel, above the text there, comes into view); and meets a panel that cannot start
 * (its "Try it" buttons are disabled again).
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

  test('an unknown ?backend= is reported at once and the automatic choice used; the URL keeps the settings only', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const problems = watch(page);
    await page.goto(`${site.base}/lessons/vae-intro?backend=wegbpu&seed=3`, { waitUntil: 'commit' });
    // Said from the first frame of the panel, while the model is still loading.
    const said = await page.waitForFunction(
      () => {
        const root = document.getElementById('panel-root');
        const line = document.getElementById('panel-problems')?.textContent;
        return line ? { line, state: root?.dataset.state } : null;
      },
      null,
      { polling: 'raf', timeout: 60_000 },
    );
    const { line, state: stateThen } = (await said.jsonValue()) as { line: string; state: string };
    expect(line).toContain('backend=wegbpu is not one of webgpu, webgl, wasm, cpu; choosing one');
    expect(stateThen).toBe('loading');
    expect(await state(page, ['ready', 'error'], 60_000)).toBe('ready');
    expect(await page.textContent('#backend')).toMatch(/^backend: (webgpu|webgl|wasm|cpu)/);
    const url = new URL(page.url());
    expect(url.searchParams.get('backend')).toBeNull();
    expect(url.searchParams.get('seed')).toBe('3');
    await page.click('#btn-start');
    await page.waitForFunction(() => Number(document.getElementById('panel-root')!.dataset.step) >= 5, null, {
      timeout: 60_000,
    });
    await page.screenshot({ path: path.join(SHOTS, 'vae-intro-bad-backend.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  test('at 390 px a "Try it" button far down the text brings the panel into view and starts the run', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const problems = watch(page);
    await page.goto(`${site.base}/lessons/vae-intro?backend=wasm`);
    expect(await state(page, ['ready'], 60_000)).toBe('ready');
    const button = page.locator('button.try-it[data-try="model=autoencoder"]').first();
    await button.scrollIntoViewIfNeeded();
    const panelTop = () => page.evaluate(() => document.getElementById('panel-root')!.getBoundingClientRect().top);
    expect(await panelTop()).toBeLessThan(0); // scrolled past it
    await button.click();
    await page.waitForFunction(() => Number(document.getElementById('panel-root')!.dataset.step) >= 5, null, {
      timeout: 60_000,
    });
    const top = await panelTop();
    expect(top).toBeGreaterThanOrEqual(-1);
    expect(top).toBeLessThan(844);
    expect(new URL(page.url()).searchParams.get('model')).toBe('autoencoder');
    await page.screenshot({ path: path.join(SHOTS, 'vae-intro-390-try-it.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  test('a panel that cannot start says so and disables its "Try it" buttons', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    // The training worker's script fails to load (as after a half-finished build), after the panel,
    // its buttons and the narration's "Try it" buttons are up.
    await page.route('**/assets/build/js/train-worker.js', (r) => r.fulfill({ status: 404, body: 'not found' }));
    await page.goto(`${site.base}/lessons/vae-intro?backend=wasm`);
    expect(await state(page, ['error'], 60_000)).toBe('error');
    await page.waitForFunction(() => document.getElementById('panel-root')!.textContent!.includes('could not start'));
    expect(await page.textContent('#panel-root')).toContain(
      'The live panel could not start: the training worker failed: /assets/build/js/train-worker.js did not load',
    );
    const tries = page.locator('button.try-it');
    expect(await tries.count()).toBeGreaterThan(0);
    for (const b of await tries.all()) expect(await b.isDisabled()).toBe(true);
    await page.close();
  }, 120_000);
});

/**
 * The lessons in a real browser: headless Debian Chromium via playwright-core. For every
 * ready lesson: load the page, start its live panel, wait for training steps, check the
 * loss chart has points and the loss fell, no console errors, no failed requests, the page
 * is cross-origin isolated; save a screenshot under test-output/screenshots/. Also: the
 * WebGL and WebGPU backends run a panel, and a URL (seed included) reproduces a run.
 *
 * Skips visibly when /usr/bin/chromium is missing (.ci/run installs it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { discoverLessons } from '../../src/server/lessons';
import type { Running } from '../server/helpers';
import { CHROMIUM_MISSING, SHOTS, openSite, panelError, state, watch } from './panel-page';

/** How far each lesson's panel trains in the test, and with which URL settings. */
const PLAN: Record<string, { query: string; steps: number }> = {
  'vae-intro': { query: 'backend=wasm', steps: 150 },
  'vae-reparam': { query: 'backend=wasm', steps: 150 },
  'vae-training': { query: 'backend=wasm', steps: 100 },
};
const DEFAULT_PLAN = { query: 'backend=wasm', steps: 100 };

const missing = CHROMIUM_MISSING;
if (missing) console.warn(`SKIPPING the browser tests: ${missing}`);
const maybe = missing ? describe.skip : describe;

const ready = discoverLessons().filter((l) => l.status === 'ready' && l.hasPanel);

/** Starts the panel, waits until `steps` steps are done, pauses; returns the chart's series. */
async function train(page: Page, steps: number): Promise<Record<string, number[]>> {
  await page.click('#btn-start');
  await page.waitForFunction(
    (n) => {
      const root = document.getElementById('panel-root')!;
      return Number(root.dataset.step) >= n || root.dataset.state === 'error' || root.dataset.state === 'done';
    },
    steps,
    { timeout: 120_000 },
  );
  await page.click('#btn-pause').catch(() => undefined);
  const reached = await state(page, ['paused', 'done', 'error'], 60_000);
  if (reached === 'error') throw new Error(`panel error: ${await panelError(page)}`);
  return JSON.parse((await page.getAttribute('#loss-chart', 'data-series')) ?? '{}') as Record<string, number[]>;
}

/** The whole panel (it scrolls inside a viewport-high box, so make the viewport tall first). */
async function shootPanel(page: Page, file: string): Promise<void> {
  await page.setViewportSize({ width: 1400, height: 2600 });
  await page.waitForTimeout(200);
  await page.locator('#panel').screenshot({ path: path.join(SHOTS, file) });
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

maybe('lessons in headless Chromium', () => {
  let site: Running;
  let browser: Browser;

  beforeAll(async () => {
    ({ site, browser } = await openSite(['js', 'wasm', 'katex', 'mnist', 'charlm']));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test('there are ready lessons to test', () => {
    expect(ready.map((l) => l.id)).toEqual(expect.arrayContaining(['vae-intro', 'vae-reparam', 'vae-training']));
  });

  test('the index renders all lessons without errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems = watch(page);
    await page.goto(`${site.base}/`);
    expect(await page.locator('.lesson-card').count()).toBe(10);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    // The browser bundle of the public API loads as an ES module and has the main entry points.
    // (a string, so ts-jest does not rewrite the dynamic import into require)
    const names = (await page.evaluate(
      "import('/assets/build/js/gensparse.js').then((m) => Object.keys(m))",
    )) as string[];
    expect(names).toEqual(
      expect.arrayContaining(['initBrowserBackend', 'Vae', 'VaeTrainer', 'trainLoop', 'Rng', 'kernels']),
    );
    await page.screenshot({ path: path.join(SHOTS, 'index.png') });
    expect(problems).toEqual([]);
    await page.close();
  });

  test.each(ready.map((l) => l.id))(
    'lesson %s: loads, trains, the loss falls, no errors',
    async (id) => {
      const plan = PLAN[id] ?? DEFAULT_PLAN;
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems = watch(page);
      await page.goto(`${site.base}/lessons/${id}?${plan.query}`);
      const reached = await state(page, ['ready', 'error'], 60_000);
      expect([reached, await panelError(page)]).toEqual(['ready', '']);
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      expect(await page.textContent('#backend')).toMatch(/^backend: wasm/);
      expect(await page.locator('section.step').count()).toBeGreaterThanOrEqual(5);
      // The settings, seed included, are in the URL.
      expect(new URL(page.url()).searchParams.get('seed')).toBe('1');

      // Long tasks (> 50 ms without yielding) while training: the page must stay responsive.
      await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[] };
        w.longTasks = [];
        new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({
          type: 'longtask',
        });
      });
      const series = await train(page, plan.steps);
      const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
      console.log(
        `${id}: ${longTasks.length} long tasks while training, longest ${Math.round(Math.max(0, ...longTasks))} ms`,
      );
      // Training runs in a Web Worker; the page only draws (Chart.js, DOM). Measured 2026-11-30 with
      // the 2 cores at a load average of ~30 (other sessions' jobs): longest 339-1057 ms, which is the
      // drawing starved of CPU. On an idle machine the page's tasks are the draws alone; this bound
      // catches a regression to training on the main thread under such load.
      expect(Math.max(0, ...longTasks)).toBeLessThan(1500);
      const loss = Object.values(series)[0];
      expect(loss.length).toBeGreaterThanOrEqual(5);
      for (const v of loss) expect(Number.isFinite(v)).toBe(true);
      expect(mean(loss.slice(-3))).toBeLessThan(mean(loss.slice(0, 3)));
      expect(Number(await page.getAttribute('#loss-chart', 'data-points'))).toBe(loss.length);

      await page.screenshot({ path: path.join(SHOTS, `${id}.png`) });
      await shootPanel(page, `${id}-panel.png`);
      expect(problems).toEqual([]);
      await page.close();
    },
    180_000,
  );

  test.each(ready.map((l) => l.id))(
    'lesson %s at 390 px: nothing scrolls sideways; by default the backend is wasm and the badge says why',
    async (id) => {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems = watch(page);
      await page.goto(`${site.base}/lessons/${id}`);
      expect(await state(page, ['ready', 'error'], 60_000)).toBe('ready');
      const [scrollWidth, clientWidth] = await page.evaluate(() => [
        document.documentElement.scrollWidth,
        document.documentElement.clientWidth,
      ]);
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      // Here WebGPU and WebGL run on SwiftShader (software): never chosen without ?backend=.
      expect(await page.textContent('#backend')).toMatch(/^backend: wasm/);
      expect(await page.textContent('#backend-why')).toMatch(/software/);
      await page.screenshot({ path: path.join(SHOTS, `${id}-390.png`), fullPage: false });
      expect(problems).toEqual([]);
      await page.close();
    },
    120_000,
  );

  test('a Try-it button sets its settings, starts a second run, and the first stays as a ghost', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const problems = watch(page);
    await page.goto(`${site.base}/lessons/vae-reparam?backend=wasm`);
    expect(await state(page, ['ready'], 60_000)).toBe('ready');
    await train(page, 30);
    const button = page.locator('button.try-it[data-try="form=wrong"]').first();
    await button.scrollIntoViewIfNeeded();
    await button.click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('form') === 'wrong');
    await page.waitForFunction(() => Number(document.getElementById('panel-root')!.dataset.step) >= 20, null, {
      timeout: 60_000,
    });
    await page.click('#btn-pause');
    await state(page, ['paused', 'done'], 60_000);
    expect(await page.getAttribute('#loss-chart', 'data-ghosts')).toBe('1');
    const series = JSON.parse((await page.getAttribute('#loss-chart', 'data-series')) ?? '{}') as Record<
      string,
      number[]
    >;
    expect(series.loss.length).toBeGreaterThan(0);
    expect(await page.textContent('#panel-settings summary')).toContain('form=wrong');
    await page.screenshot({ path: path.join(SHOTS, 'vae-reparam-ghost.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  test('lesson vae-training on the 2-D toy data', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = watch(page);
    await page.goto(`${site.base}/lessons/vae-training?backend=wasm&data=ring&latentDim=2`);
    expect(await state(page, ['ready', 'error'], 60_000)).toBe('ready');
    const series = await train(page, 200);
    const loss = series.negElbo;
    expect(mean(loss.slice(-3))).toBeLessThan(mean(loss.slice(0, 3)));
    await shootPanel(page, 'vae-training-ring-panel.png');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  test.each(['webgl', 'webgpu'])(
    'the %s backend runs a panel (SwiftShader here: correctness only)',
    async (backend) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems = watch(page);
      await page.goto(`${site.base}/lessons/vae-reparam?backend=${backend}`);
      const reached = await state(page, ['ready', 'error'], 60_000);
      expect([reached, await panelError(page)]).toEqual(['ready', '']);
      const badge = await page.textContent('#backend');
      expect(badge).toContain(`backend: ${backend}`);
      if (backend === 'webgpu') expect(badge).toContain('adapter:');
      const series = await train(page, 60);
      expect(mean(series.loss.slice(-3))).toBeLessThan(mean(series.loss.slice(0, 3)));
      await shootPanel(page, `vae-reparam-${backend}-panel.png`);
      expect(problems).toEqual([]);
      await page.close();
    },
    120_000,
  );

  test('a link reproduces a run: same URL, same numbers; a new seed changes them and the URL', async () => {
    const page = await browser.newPage();
    const problems = watch(page);
    const url = `${site.base}/lessons/vae-reparam?backend=wasm&seed=7&samples=4`;
    const run = async (): Promise<number[]> => {
      await page.goto(url);
      await state(page, ['ready'], 60_000);
      for (let i = 0; i < 5; i++) {
        await page.click('#btn-step');
        await page.waitForFunction(
          (n) =>
            Number(document.getElementById('panel-root')!.dataset.step) >= n &&
            document.getElementById('panel-root')!.dataset.state === 'paused',
          i + 1,
        );
      }
      return page.evaluate(() =>
        (
          window as unknown as { gensparsePanel: { history: { values: { loss: number }[] } } }
        ).gensparsePanel.history.values.map((v) => v.loss),
      );
    };
    const a = await run();
    const b = await run();
    expect(a).toHaveLength(5);
    expect(b).toEqual(a);
    await page.click('#panel-settings summary');
    await page.fill('#setting-seed', '8');
    await page.dispatchEvent('#setting-seed', 'change');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('seed') === '8');
    await state(page, ['ready'], 60_000);
    await page.click('#btn-step');
    await state(page, ['paused'], 60_000);
    const c = await page.evaluate(
      () =>
        (window as unknown as { gensparsePanel: { history: { values: { loss: number }[] } } }).gensparsePanel.history
          .values[0].loss,
    );
    expect(c).not.toBe(a[0]);
    expect(new URL(page.url()).searchParams.get('backend')).toBe('wasm');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  const benchSuite = fs.existsSync(path.join(__dirname, '../../kernels/bench/suite.ts'));
  (benchSuite ? test : test.skip)(
    'the benchmark page runs the small kernel suite on wasm',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const problems = watch(page);
      await page.goto(`${site.base}/bench?backend=wasm&size=small`);
      await page.waitForFunction(() => document.getElementById('backend')?.dataset.backend === 'wasm');
      await page.click('#bench-run');
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.benchState ?? ''), null, {
        timeout: 150_000,
      });
      expect([
        await page.evaluate(() => document.body.dataset.benchState),
        await page.textContent('#bench-status'),
      ]).toEqual(['done', expect.stringContaining('rows')]);
      const rows = await page.locator('#bench-table tbody tr').count();
      expect(rows).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(SHOTS, 'bench.png'), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    },
    180_000,
  );
});

/**
 * `npm run bench -- lessons`: every ready lesson's live panel in headless Chromium on the wasm
 * backend, as a learner's laptop without a GPU runs it: training steps per second (the worker's
 * steps over 8 s of wall clock after 3 s of warm-up, or over the whole of a shorter run) and the longest main-thread task while it
 * trains (PerformanceObserver 'longtask': the page should never block for more than 50 ms).
 * Builds what changed first; skipped with a line where Debian's chromium is missing.
 */
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createApp, listen } from '../src/server/app';
import { build } from '../src/server/build';
import { discoverLessons } from '../src/server/lessons';
import type { BenchRow } from '../kernels/bench/harness';

const CHROMIUM = '/usr/bin/chromium';
const WARMUP_MS = 3000;
const WINDOW_MS = 8000;

export default async function (): Promise<BenchRow[]> {
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`  lesson panels skipped: ${CHROMIUM} not found (apt-get install chromium)`);
    return [];
  }
  await build({ log: () => {} });
  const server = await listen(createApp({ log: () => {} }), 0, '127.0.0.1');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const rows: BenchRow[] = [];
  try {
    for (const lesson of discoverLessons().filter((l) => l.status === 'ready' && l.hasPanel)) {
      const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
      await page.goto(`${base}/lessons/${lesson.id}?backend=wasm`);
      await page.waitForFunction(() => document.getElementById('panel-root')?.dataset.state === 'ready', null, {
        timeout: 120_000,
      });
      await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[] };
        w.longTasks = [];
        new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({
          type: 'longtask',
        });
      });
      const sample = () =>
        page.evaluate(() => {
          const root = document.getElementById('panel-root');
          return { step: Number(root?.dataset.step ?? 0), state: root?.dataset.state ?? '', at: performance.now() };
        });
      await page.click('#btn-start');
      // Samples every 250 ms while the run goes; the first WARMUP_MS (the worker compiling its
      // kernels) count only when a short run finishes before them.
      const samples = [];
      for (let t = 0; t < WARMUP_MS + WINDOW_MS; t += 250) {
        const x = await sample();
        samples.push(x);
        if (x.state === 'done' || x.state === 'error') break;
        await page.waitForTimeout(250);
      }
      const running = samples.filter((x) => x.state === 'running');
      const warm = running.filter((x) => x.at - running[0].at >= WARMUP_MS);
      const measured = warm.length >= 2 ? warm : running;
      const [first, last] = [measured[0], measured[measured.length - 1]];
      const longest = await page.evaluate(() =>
        Math.max(0, ...(window as unknown as { longTasks: number[] }).longTasks),
      );
      await page.close();
      const rate = first && last && last.at > first.at ? ((last.step - first.step) * 1000) / (last.at - first.at) : 0;
      rows.push({
        section: 'lessons',
        name: `lesson ${lesson.order} ${lesson.id}: panel training on wasm`,
        fastMs: rate > 0 ? 1000 / rate : Number.NaN,
        note: `${rate.toFixed(1)} steps/s over ${(((last?.at ?? 0) - (first?.at ?? 0)) / 1000).toFixed(1)} s; longest main-thread task ${Math.round(longest)} ms`,
      });
    }
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
  return rows;
}

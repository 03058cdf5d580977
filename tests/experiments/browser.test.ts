/**
 * The /experiments pages in headless Chromium (playwright-core): the list links each report,
 * a report page renders its summary table and every figure loads. Skips visibly without
 * /usr/bin/chromium.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../server/helpers';
import { makeReportsDir, serveReports } from './fixture';
import { CHROMIUM, CHROMIUM_MISSING, LAUNCH_ARGS } from '../browser/chromium';

const missing = CHROMIUM_MISSING;
if (missing) console.warn(`SKIPPING the experiments browser test: ${missing}`);
const maybe = missing ? describe.skip : describe;

maybe('experiments pages in a browser', () => {
  test('the list links the report; its page shows the summary table and a loaded figure, with no errors', async () => {
    const site = await serveReports(makeReportsDir());
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('response', (r) => {
        if (r.status() >= 400 && r.url().includes('/experiments')) problems.push(`HTTP ${r.status()} ${r.url()}`);
      });
      await page.goto(`${site.base}/experiments`);
      await page.click('[data-experiment="toy-run"] a');
      await page.waitForURL(`${site.base}/experiments/toy-run`);
      expect(await page.textContent('#question')).toContain('Does the loss fall?');
      expect(await page.locator('#summary table tr').count()).toBe(3);
      const img = page.locator('#figures img');
      expect(await img.count()).toBe(1);
      await page.waitForFunction(() => {
        const i = document.querySelector('#figures img') as HTMLImageElement | null;
        return i?.complete && i.naturalWidth > 0;
      });
      expect(await img.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(1440);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await site.close();
    }
  }, 120_000);

  test('every committed report page fits a 390 px phone screen (no sideways scrolling)', async () => {
    const reports = path.join(__dirname, '../../experiments/reports');
    const names = fs.readdirSync(reports).filter((n) => fs.existsSync(path.join(reports, n, 'report.json')));
    // Reports withdrawn for a rerun at full scale leave the list; at least one must remain to check.
    expect(names.length).toBeGreaterThan(0);
    const site = await startServer();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const wide: string[] = [];
      for (const name of ['', ...names]) {
        await page.goto(`${site.base}/experiments${name ? `/${name}` : ''}`);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        if (width > 390) wide.push(`${name || 'list'}: ${width} px`);
      }
      expect(wide).toEqual([]);
    } finally {
      await browser.close();
      await site.close();
    }
  }, 120_000);
});

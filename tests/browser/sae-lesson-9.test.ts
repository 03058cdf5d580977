import type { Browser, Page } from 'playwright-core';
import type { Running } from '../server/helpers';
import { CHROMIUM_MISSING, openSite, panelError, state, watch } from './panel-page';

const URL_PATH = '/lessons/sae-language-model?backend=wasm';

const missing = CHROMIUM_MISSING;
if (missing) console.warn(`SKIPPING the lesson 9 browser test: ${missing}`);

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

(missing ? describe.skip : describe)('lesson 9 in headless Chromium', () => {
  let site: Running;
  let browser: Browser;

  beforeAll(async () => {
    ({ site, browser } = await openSite(['js', 'wasm', 'katex', 'charlm']));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test('trains on wasm; search, dashboard and steering work; no errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = watch(page);
    await page.goto(`${site.base}${URL_PATH}`);
    expect([await state(page, ['ready', 'error']), await panelError(page)]).toEqual(['ready', '']);
    expect(await page.textContent('#backend')).toMatch(/^backend: wasm/);
    await steps(page, 3);
    expect(await panelError(page)).toBe('');
    // The probes after the last step: the splice figure is drawn.
    await page.waitForSelector('.view[data-figure="splice"]:not([hidden]) canvas', { timeout: 60_000 });

    // Search: every character gets a shaded span, the last one's latents are listed as chips.
    await page.fill('#lm-search-text', 'the whale and the ship');
    await page.click('#lm-search-go');
    await page.waitForSelector('#lm-char-latents button.lm-chip', { timeout: 30_000 });
    expect(await page.locator('#lm-search-result .lm-text span').count()).toBe('the whale and the ship'.length);
    // Choosing another character (here from the keyboard) lists its latents instead.
    await page.locator('#lm-search-result .lm-text span').nth(4).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() =>
      document.getElementById('lm-char-latents')?.textContent?.includes('(character 5)'),
    );
    const chips = page.locator('#lm-char-latents button.lm-chip');
    expect(await chips.count()).toBeGreaterThanOrEqual(1);
    const picked = Number(await chips.first().getAttribute('data-latent'));

    // Clicking a chip opens that latent's dashboard, with top contexts and its logit effects.
    await chips.first().click();
    await page.waitForSelector('#lm-contexts li', { timeout: 30_000 });
    expect(await page.textContent('.lm-dash-head')).toContain(`Latent #${picked}`);
    expect(await page.locator('#lm-contexts li').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#lm-hist span').count()).toBeGreaterThan(0);
    expect(await page.locator('.lm-effects .promotes .lm-char').count()).toBe(8);

    // Steering the picked latent: same seed, different text.
    await page.fill('#lm-strength', '4');
    await page.click('#lm-steer-go');
    await page.waitForSelector('#lm-steered', { timeout: 60_000 });
    const plain = await page.textContent('#lm-plain');
    const steered = await page.textContent('#lm-steered');
    expect(plain?.length).toBeGreaterThan(40);
    expect(steered).not.toEqual(plain);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: '/tmp/lesson9-desktop.png', fullPage: false });
    // The panel scrolls inside a viewport-high box: make the viewport tall to see all of it.
    await page.setViewportSize({ width: 1400, height: 3200 });
    await page.waitForTimeout(300);
    await page.locator('#panel').screenshot({ path: '/tmp/lesson9-panel-desktop.png' });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);

  test('at 390 px the page and its widgets fit the width', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const problems = watch(page);
    await page.goto(`${site.base}${URL_PATH}`);
    expect(await state(page, ['ready', 'error'])).toBe('ready');
    await steps(page, 1);
    await page.click('#lm-search-go');
    await page.waitForSelector('#lm-char-latents button.lm-chip', { timeout: 30_000 });
    await page.locator('#lm-char-latents button.lm-chip').first().click();
    await page.waitForSelector('.lm-dash-head', { timeout: 30_000 });
    await page.click('#lm-steer-go');
    await page.waitForSelector('#lm-steered', { timeout: 60_000 });
    expect(await sideways(page)).toBe(0);
    await page.screenshot({ path: '/tmp/lesson9-phone.png', fullPage: false });
    await page.locator('#lm-widgets').screenshot({ path: '/tmp/lesson9-widgets-phone.png' });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});

import { startServer } from '../server/helpers';
import { makeReportsDir, serveReports } from './fixture';

test('/experiments lists full-run reports; a report page shows question, command, wall time, summary table and figures', async () => {
  const site = await serveReports(makeReportsDir());
  try {
    const list = await (await fetch(`${site.base}/experiments`)).text();
    expect(list).toContain('href="/experiments/toy-run"');
    expect(list).not.toContain('toy-run-quick');
    expect(list).toContain('12.5 s on wasm');
    const page = await fetch(`${site.base}/experiments/toy-run`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Does the loss fall?');
    expect(html).toContain('npm run experiment -- toy-run --seed 0');
    expect(html).toMatch(/<table>[\s\S]*<td>0.5<\/td>/);
    expect(html).toContain('src="/experiments/toy-run/curve.png"');
    const png = await fetch(`${site.base}/experiments/toy-run/curve.png`);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    // Only listed figures of known reports are served.
    for (const p of [
      '/experiments/toy-run/secret.png',
      '/experiments/toy-run/report.json',
      '/experiments/nope',
      '/experiments/..%2f..%2fpackage.json',
    ]) {
      expect((await fetch(`${site.base}${p}`)).status).toBe(404);
    }
  } finally {
    await site.close();
  }
});

test('the site serves /experiments with its security headers', async () => {
  const site = await startServer();
  try {
    const res = await fetch(`${site.base}/experiments`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    expect(await res.text()).toContain('<h1>Experiments</h1>');
  } finally {
    await site.close();
  }
});

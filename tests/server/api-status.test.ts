/**
 * /api while the API reference is built in the background (main.ts starts the lessons first): every
 * page the reference does not have yet answers 503 with a page that says so and reloads itself; a
 * failed build says why; a finished one (or a server without a background build) answers 404 for
 * pages that do not exist.
 */
import type { ApiStatus } from '../../src/server/api-build';
import { API_RETRY_S } from '../../src/server/app';
import { rawGet, startServer } from './helpers';

async function get(status: ApiStatus | undefined, urlPath: string) {
  const site = await startServer(status ? { apiStatus: () => status } : {});
  try {
    return await rawGet(site.port, urlPath);
  } finally {
    await site.close();
  }
}

// A page no build of the reference writes, so the answer does not depend on public/build/api.
const MISSING = '/api/functions/noSuchFunction.html';

test('while building: 503, a page that says so, and a reload after a few seconds', async () => {
  const r = await get({ state: 'building' }, MISSING);
  expect(r.status).toBe(503);
  expect(r.headers['retry-after']).toBe(String(API_RETRY_S));
  expect(r.headers.refresh).toBe(String(API_RETRY_S));
  expect(r.body).toContain('The API reference is being built');
});

test('a failed build: 500 and the reason', async () => {
  const r = await get({ state: 'failed', reason: 'TypeDoc could not convert <src/index.ts>' }, MISSING);
  expect(r.status).toBe(500);
  expect(r.body).toContain('The API reference could not be built');
  expect(r.body).toContain('TypeDoc could not convert &lt;src/index.ts&gt;');
});

test('built, or no background build: a missing page is a 404', async () => {
  expect((await get({ state: 'ready' }, MISSING)).status).toBe(404);
  expect((await get(undefined, MISSING)).status).toBe(404);
});

test('the index links the reference while it is being built', async () => {
  const r = await get({ state: 'building' }, '/');
  expect(r.status).toBe(200);
  expect(r.body).toContain('The <a href="/api/">API reference</a> is generated');
});

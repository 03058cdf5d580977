/**
 * Builds that run at once (the server's background API build beside a restart, or a test's build)
 * must not undo each other's step keys: a key another build writes while this one runs survives it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from '../../src/server/build';
import { BUILD_DIR } from '../../src/server/paths';

const STAMPS = path.join(BUILD_DIR, '.stamps.json');
const FOREIGN = 'written-by-another-build';

function stamps(): Record<string, string> {
  return JSON.parse(fs.readFileSync(STAMPS, 'utf8')) as Record<string, string>;
}

afterAll(() => {
  const s = stamps();
  delete s[FOREIGN];
  fs.writeFileSync(STAMPS, JSON.stringify(s, null, 1));
});

test('a step key written by another build while this one runs is kept, and this build records its own', async () => {
  let injected = false;
  await build({
    steps: ['katex', 'wasm'],
    force: true,
    // Called after each step's key is saved: between katex and wasm, "another build" records its key.
    log: (line) => {
      if (injected || !line.startsWith('build katex')) return;
      fs.writeFileSync(STAMPS, JSON.stringify({ ...stamps(), [FOREIGN]: 'k' }, null, 1));
      injected = true;
    },
  });
  expect(injected).toBe(true);
  const after = stamps();
  expect(after[FOREIGN]).toBe('k');
  expect(after.katex).toMatch(/^[0-9a-f]{64}$/);
  expect(after.wasm).toMatch(/^[0-9a-f]{64}$/);
  // And both steps are now seen as unchanged.
  const again = await build({ steps: ['katex', 'wasm'] });
  expect(again.map((r) => r.skipped)).toEqual([true, true]);
});

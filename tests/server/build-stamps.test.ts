/**
 * Builds that run at once (the server's background API build beside a restart, or a test's build)
 * must not undo each other's step keys: a key another build writes while this one runs survives it.
 * Each API build writes into its own folder; those of stopped builds are removed, those of running
 * ones kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, removeAbandonedApiFolders } from '../../src/server/build';
import { API_DIR, BUILD_DIR } from '../../src/server/paths';

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

test("a stopped API build's folder is removed; a running build's is kept", () => {
  const gone = 2 ** 22 + 12345; // above the largest pid Linux allows (2^22), so no process has it
  const stopped = `${API_DIR}.tmp-${gone}`;
  const running = `${API_DIR}.tmp-${process.ppid}`; // jest's parent process: alive
  for (const d of [stopped, running]) fs.mkdirSync(path.join(d, 'assets'), { recursive: true });
  try {
    removeAbandonedApiFolders();
    expect(fs.existsSync(stopped)).toBe(false);
    expect(fs.existsSync(running)).toBe(true);
  } finally {
    for (const d of [stopped, running]) fs.rmSync(d, { recursive: true, force: true });
  }
});

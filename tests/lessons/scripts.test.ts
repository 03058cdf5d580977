/**
 * Lesson scripts (lessons/<id>/script.ts): every one that exists runs with quick = true into
 * a temporary folder, leaves no tensors behind, and writes PNG plots plus metrics.json with finite
 * numbers (quick-run.ts), here or in the lesson's own test. The CLI's runner is also checked on a
 * fixture script (metrics written, non-finite metrics refused).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverLessons } from '../../src/server/lessons';
import { runLesson } from '../../src/server/lesson-cli';
import { hasOwnTest, runQuickChecked } from './quick-run';

const withScripts = discoverLessons().filter((l) => l.hasScript);
// A lesson whose own test (tests/lessons/<id>.test.ts) runs its script does so through the same
// checks (quick-run.ts); running it here again would only double the time.
const notRunElsewhere = withScripts.filter((l) => !hasOwnTest(l.id));

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('lesson scripts (quick)', () => {
  test('every lesson script is run by its own test or here', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    for (const l of withScripts) expect([l.id, hasOwnTest(l.id) || notRunElsewhere.includes(l)]).toEqual([l.id, true]);
  });
  test.each(notRunElsewhere.map((l) => l.id))(
    '%s runs with quick = true and writes its outputs',
    async (id) => {
      await runQuickChecked(id);
    },
    300_000,
  );
});

describe('the runner', () => {
  test('writes metrics.json from the returned numbers and refuses non-finite ones', async () => {
    const lessons = tmpDir('gensparse-fixture-');
    const outDir = path.join(lessons, 'out');
    fs.mkdirSync(path.join(lessons, 'fixture'));
    fs.writeFileSync(
      path.join(lessons, 'fixture', 'script.ts'),
      [
        "import * as fs from 'fs';",
        "import * as path from 'path';",
        'export default async function run(opts: { quick: boolean; outDir: string; seed: number; log: (l: string) => void }) {',
        "  fs.writeFileSync(path.join(opts.outDir, 'note.txt'), 'seed ' + opts.seed);",
        "  opts.log('ran');",
        '  return { answer: 42 + opts.seed, bad: opts.seed === 13 ? NaN : 1 };',
        '}',
        '',
      ].join('\n'),
    );
    try {
      const logs: string[] = [];
      const r = await runLesson('fixture', { quick: true, outDir, seed: 3, log: (l) => logs.push(l) }, lessons);
      expect(r.metrics).toEqual({ answer: 45, bad: 1 });
      expect(r.files).toEqual(['metrics.json', 'note.txt']);
      expect(logs).toEqual(['ran']);
      const saved = JSON.parse(fs.readFileSync(path.join(outDir, 'metrics.json'), 'utf8'));
      expect(saved).toMatchObject({ lesson: 'fixture', quick: true, seed: 3, metrics: { answer: 45, bad: 1 } });
      await expect(runLesson('fixture', { quick: true, outDir, seed: 13, log: () => {} }, lessons)).rejects.toThrow(
        /non-finite metric bad/,
      );
      await expect(runLesson('absent', { quick: true, outDir, seed: 1, log: () => {} }, lessons)).rejects.toThrow(
        /has no script.ts/,
      );
    } finally {
      fs.rmSync(lessons, { recursive: true, force: true });
    }
  });
});

/**
 * Lesson scripts (lessons/<id>/script.ts): every one that exists runs with quick = true into
 * a temporary folder, leaves no tensors behind, and writes PNG plots plus metrics.json with finite numbers. The CLI's
 * runner is also checked on a fixture script (metrics written, non-finite metrics refused).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { discoverLessons } from '../../src/server/lessons';
import { runLesson } from '../../src/server/lesson-cli';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const withScripts = discoverLessons().filter((l) => l.hasScript);

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('lesson scripts (quick)', () => {
  if (withScripts.length === 0) {
    test.skip('no lessons/*/script.ts exists yet: nothing to run', () => undefined);
    return;
  }
  test.each(withScripts.map((l) => l.id))(
    '%s runs with quick = true and writes its outputs',
    async (id) => {
      const outDir = tmpDir(`gensparse-${id}-`);
      const lines: string[] = [];
      const tensorsBefore = tf.memory().numTensors;
      try {
        const { metrics, files } = await runLesson(id, { quick: true, outDir, seed: 1, log: (l) => lines.push(l) });
        expect(tf.memory().numTensors).toBe(tensorsBefore); // a script leaves no tensors behind
        expect(Object.keys(metrics).length).toBeGreaterThan(0);
        for (const v of Object.values(metrics)) expect(Number.isFinite(v)).toBe(true);
        const saved = JSON.parse(fs.readFileSync(path.join(outDir, 'metrics.json'), 'utf8'));
        expect(saved.metrics).toEqual(metrics);
        expect(saved.quick).toBe(true);
        const pngs = files.filter((f) => f.endsWith('.png'));
        expect(pngs.length).toBeGreaterThan(0);
        for (const f of pngs) {
          const bytes = fs.readFileSync(path.join(outDir, f));
          expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
          expect(bytes.length).toBeGreaterThan(200);
        }
      } finally {
        fs.rmSync(outDir, { recursive: true, force: true });
      }
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

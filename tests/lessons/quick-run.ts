/**
 * Runs a lesson's script (lessons/<id>/script.ts) with quick = true into a temporary folder and
 * checks what every script must do: leave no tensors behind, return finite metrics, write them to
 * metrics.json, and write PNG plots. A lesson's own test calls this once and then checks its
 * narration's numbers; scripts.test.ts calls it for the scripts no own test runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runLesson } from '../../src/server/lesson-cli';
import { tempDir } from '../setup/temp-dir';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The script's metrics, the files it wrote and its (temporary) output folder, after the common checks. */
export async function runQuickChecked(
  id: string,
): Promise<{ metrics: Record<string, number>; files: string[]; outDir: string }> {
  const outDir = tempDir(`gensparse-${id}-`);
  const before = tf.memory().numTensors;
  const { metrics, files } = await runLesson(id, { quick: true, outDir, seed: 1, log: () => {} });
  expect(tf.memory().numTensors).toBe(before); // a script leaves no tensors behind
  expect(Object.keys(metrics).length).toBeGreaterThan(0);
  for (const [k, v] of Object.entries(metrics)) expect([k, Number.isFinite(v)]).toEqual([k, true]);
  const saved = JSON.parse(fs.readFileSync(path.join(outDir, 'metrics.json'), 'utf8'));
  expect(saved.metrics).toEqual(metrics);
  expect(saved.quick).toBe(true);
  const pngs = files.filter((f) => f.endsWith('.png'));
  expect(pngs.length).toBeGreaterThan(0);
  for (const f of pngs) {
    const bytes = fs.readFileSync(path.join(outDir, f));
    expect([f, bytes.subarray(0, 8).equals(PNG_SIGNATURE) && bytes.length > 200]).toEqual([f, true]);
  }
  return { metrics, files, outDir };
}

/** Whether tests/lessons/<id>.test.ts exists (it then runs the lesson's script through `runQuickChecked`). */
export function hasOwnTest(id: string): boolean {
  return fs.existsSync(path.join(__dirname, `${id}.test.ts`));
}

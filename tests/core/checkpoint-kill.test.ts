/**
 * A process that saves a checkpoint folder over and over is killed (SIGKILL) at random moments,
 * 50 times: after every kill the folder loads as one complete checkpoint (its config and its
 * weights from the same save), and the load leaves no temporary files behind. The child is
 * bundled once with esbuild so that each start costs milliseconds, not a TypeScript compile.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildSync } from 'esbuild';
import { loadCheckpoint, saveCheckpoint, safetensorsBytes } from '../../src/core/checkpoint';
import { Rng } from '../../src/core/random';

const KILLS = 50;
const GENERATIONS = 3;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-kill-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Starts the saving child and resolves once it is about to save. */
function startSaver(script: string, dir: string, fixtures: string) {
  const child = spawn(process.execPath, [script, dir, fixtures, String(GENERATIONS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`saver exited early (${code})`)));
  });
  return { child, ready, exited };
}

test(`a saving process killed ${KILLS} times always leaves a complete old or new checkpoint`, async () => {
  const script = path.join(root, 'save-loop.js');
  buildSync({
    entryPoints: [path.join(__dirname, 'fixtures', 'save-loop.ts')],
    bundle: true,
    platform: 'node',
    outfile: script,
    logLevel: 'error',
  });
  // Generations 0, 1, 2: 1 MiB of weights each, and the config saying which one it is.
  const rng = new Rng(8);
  const fixtures = path.join(root, 'fixtures');
  fs.mkdirSync(fixtures);
  const values: Float32Array[] = [];
  for (let g = 0; g < GENERATIONS; g++) {
    const w = rng.randomNormal([512, 512]);
    values.push((await w.data()) as Float32Array);
    fs.writeFileSync(path.join(fixtures, `${g}.safetensors`), await safetensorsBytes({ w }, { format: 'gensparse' }));
    fs.writeFileSync(path.join(fixtures, `${g}.json`), JSON.stringify({ generation: g }));
    w.dispose();
  }
  const parent = path.join(root, 'run');
  const dir = path.join(parent, 'ckpt');
  const w0 = tf.tensor(values[0], [512, 512]);
  await saveCheckpoint(dir, { config: { generation: 0 }, tensors: { w: w0 } });
  w0.dispose();

  let interrupted = 0; // kills that left a staging folder or a half-done swap
  const delays = new Rng(9);
  for (let kill = 0; kill < KILLS; kill++) {
    const saver = startSaver(script, dir, fixtures);
    await saver.ready;
    await new Promise((r) => setTimeout(r, delays.int(60)));
    saver.child.kill('SIGKILL');
    await saver.exited;
    if (fs.readdirSync(parent).length !== 1) interrupted++;
    const { config, tensors } = loadCheckpoint<{ generation: number }>(dir);
    const got = (await tensors.w.data()) as Float32Array;
    tf.dispose(Object.values(tensors));
    expect(Buffer.from(got.buffer).equals(Buffer.from(values[config.generation].buffer))).toBe(true);
    expect(fs.readdirSync(parent)).toEqual(['ckpt']);
  }
  expect(interrupted).toBeGreaterThan(0); // the kills did land inside saves
});

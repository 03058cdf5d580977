/**
 * A save killed at any step leaves a folder that loads as the complete old or the complete new
 * checkpoint, and the next load leaves no temporary files. The kill is simulated in-process:
 * after the n-th file-system change every further change throws, as if the process had died
 * there; n runs over every step of a save, so every intermediate state is visited. (Before, a
 * checkpoint was two files renamed one after the other: killed between the renames, a folder
 * held the new weights beside the old config.)
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { Rng } from '../../src/core/random';
import type { SparseAutoencoder } from '../../src/sae/base';
import { createSae } from '../../src/sae/create';
import { loadSaeLens, saveSaeLens } from '../../src/sae/saelens';

class Killed extends Error {}
let changesLeft = Number.POSITIVE_INFINITY; // file-system changes allowed before the simulated kill
let changes = 0;

jest.mock('node:fs', () => {
  const real = jest.requireActual('node:fs');
  const change =
    (name: string) =>
    (...args: unknown[]) => {
      if (name === 'openSync' && !/w/.test(String(args[1] ?? 'r'))) return real[name](...args);
      if (changesLeft <= 0) throw new Killed(`killed before ${name}`);
      changesLeft--;
      changes++;
      return real[name](...args);
    };
  return {
    ...real,
    writeSync: change('writeSync'),
    renameSync: change('renameSync'),
    rmSync: change('rmSync'),
    mkdirSync: change('mkdirSync'),
    openSync: change('openSync'),
  };
});
const fs: typeof import('fs') = require('node:fs');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-crash-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Saves `first`, then kills the save of `second` after each possible number of changes; returns what loaded each time. */
async function killAtEveryStep<T>(
  label: string,
  save: (dir: string, which: 0 | 1) => Promise<void>,
  load: (dir: string) => T,
  which: (loaded: T) => 0 | 1,
): Promise<(0 | 1)[]> {
  // A clean save of the second over the first, counting its changes.
  const probe = path.join(root, `${label}-probe`, 'ckpt');
  await save(probe, 0);
  changes = 0;
  await save(probe, 1);
  const steps = changes;
  const seen: (0 | 1)[] = [];
  for (let n = 0; n <= steps; n++) {
    const parent = path.join(root, `${label}-${n}`);
    const dir = path.join(parent, 'ckpt');
    await save(dir, 0);
    changesLeft = n;
    try {
      await save(dir, 1);
    } catch (e) {
      if (!(e instanceof Killed)) throw e;
    } finally {
      changesLeft = Number.POSITIVE_INFINITY;
    }
    seen.push(which(load(dir)));
    expect(fs.readdirSync(parent)).toEqual(['ckpt']); // no .partial, .new or .old left
  }
  return seen;
}

/** Old for every kill before the commit point, new from it on, and new when not killed. */
function expectOldThenNew(seen: (0 | 1)[]): void {
  const firstNew = seen.indexOf(1);
  expect(firstNew).toBeGreaterThan(0);
  expect(seen.slice(0, firstNew).every((s) => s === 0)).toBe(true);
  expect(seen.slice(firstNew).every((s) => s === 1)).toBe(true);
}

test('saveCheckpoint: killed at every step, the folder loads as the old or the new checkpoint', async () => {
  const rng = new Rng(4);
  const weights = [rng.randomNormal([64, 16]), rng.randomNormal([64, 16])];
  const values = await Promise.all(weights.map((w) => w.data()));
  const seen = await killAtEveryStep(
    'ckpt',
    (dir, which) => saveCheckpoint(dir, { config: { generation: which }, tensors: { w: weights[which] } }),
    (dir) => {
      const { config, tensors } = loadCheckpoint<{ generation: 0 | 1 }>(dir);
      const got = tensors.w.dataSync();
      tf.dispose(Object.values(tensors));
      // The config and the weights come from the same save.
      expect(Array.from(got)).toEqual(Array.from(values[config.generation]));
      return config.generation;
    },
    (generation) => generation,
  );
  expectOldThenNew(seen);
  tf.dispose(weights);
});

test('saveSaeLens: killed at every step, never k = 4 with the weights saved with k = 8', async () => {
  const saes = [
    createSae({ architecture: 'topk', dIn: 8, nLatents: 32, k: 8, seed: 1 }),
    createSae({ architecture: 'topk', dIn: 8, nLatents: 32, k: 4, seed: 2 }),
  ];
  const wEnc = await Promise.all(saes.map((s) => s.params.get('W_enc').data()));
  const seen = await killAtEveryStep(
    'saelens',
    (dir, which) => saveSaeLens(dir, saes[which]),
    (dir) => {
      const sae = loadSaeLens(dir);
      const which = (sae as SparseAutoencoder & { k: number }).k === 8 ? 0 : 1;
      expect(Array.from(sae.params.get('W_enc').dataSync())).toEqual(Array.from(wEnc[which]));
      sae.dispose();
      return which;
    },
    (which) => which,
  );
  expectOldThenNew(seen);
  for (const s of saes) s.dispose();
});

test('a load of a folder whose save was killed mid-swap finishes the swap (the folder is briefly missing)', async () => {
  const parent = path.join(root, 'midswap');
  const dir = path.join(parent, 'ckpt');
  const w = tf.ones([3]);
  await saveCheckpoint(dir, { config: { generation: 0 }, tensors: { w } });
  // The state between steps 3 and 4 of a save by this process (its saves are never in flight during a load).
  const tag = `${process.pid}-m3x9-1`;
  await saveCheckpoint(path.join(parent, 'staged'), { config: { generation: 1 }, tensors: { w } });
  fs.renameSync(path.join(parent, 'staged'), `${dir}.new-${tag}`);
  fs.renameSync(dir, `${dir}.old-${tag}`);
  const { config, tensors } = loadCheckpoint<{ generation: number }>(dir);
  expect(config.generation).toBe(1);
  expect(fs.readdirSync(parent)).toEqual(['ckpt']);
  tf.dispose([w, ...Object.values(tensors)]);
});

test("a load leaves a live process's save in progress alone", async () => {
  const parent = path.join(root, 'live');
  const dir = path.join(parent, 'ckpt');
  const w = tf.ones([3]);
  await saveCheckpoint(dir, { config: { generation: 0 }, tensors: { w } });
  const live = `${process.ppid}-m3x9-1`; // the test runner: alive throughout
  for (const name of [`ckpt.partial-${live}`, `ckpt.new-${live}`]) {
    fs.mkdirSync(path.join(parent, name));
    fs.writeFileSync(path.join(parent, name, 'config.json'), '{"generation": 1}');
  }
  const { config, tensors } = loadCheckpoint<{ generation: number }>(dir);
  expect(config.generation).toBe(0);
  expect(fs.readdirSync(parent).sort()).toEqual(['ckpt', `ckpt.new-${live}`, `ckpt.partial-${live}`]);
  tf.dispose([w, ...Object.values(tensors)]);
});

test('files of the previous folder that a save does not write are kept (a trainer state, notes)', async () => {
  const dir = path.join(root, 'foreign');
  const w = tf.ones([3]);
  await saveCheckpoint(dir, { config: { generation: 0 }, tensors: { w } });
  fs.writeFileSync(path.join(dir, 'trainer.json'), '{"step": 2}');
  fs.mkdirSync(path.join(dir, 'notes'));
  fs.writeFileSync(path.join(dir, 'notes', 'a.txt'), 'mine');
  await saveCheckpoint(dir, { config: { generation: 1 }, tensors: { w } });
  expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'notes', 'trainer.json']);
  expect(fs.readFileSync(path.join(dir, 'trainer.json'), 'utf8')).toBe('{"step": 2}');
  expect(fs.readFileSync(path.join(dir, 'notes', 'a.txt'), 'utf8')).toBe('mine');
  const loaded = loadCheckpoint<{ generation: number }>(dir);
  expect(loaded.config.generation).toBe(1);
  tf.dispose([w, ...Object.values(loaded.tensors)]);
});

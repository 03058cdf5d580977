import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng, saveCheckpoint, saveSafetensors } from '../../src';
import { tempDir } from '../setup/temp-dir';

// Simulate a disk that fills up during the next write: fs.writeSync throws while `diskFull` is set.
let diskFull = false;
jest.mock('node:fs', () => {
  const real = jest.requireActual('node:fs');
  return {
    ...real,
    writeSync: (...args: unknown[]) => {
      if (diskFull) throw new Error('ENOSPC: no space left on device, write');
      return real.writeSync(...args);
    },
  };
});
const fs: typeof import('fs') = require('node:fs');

test('a failed save leaves the existing checkpoint untouched and no temporary files behind', async () => {
  const dir = path.join(tempDir('gensparse-atomic-'), 'ckpt');
  const rng = new Rng(3);
  const w1 = rng.randomNormal([16]);
  await saveCheckpoint(dir, { config: { version: 1 }, tensors: { w: w1 } });
  const before = fs.readFileSync(path.join(dir, 'model.safetensors'));

  const w2 = rng.randomNormal([16]);
  diskFull = true;
  await expect(saveCheckpoint(dir, { config: { version: 2 }, tensors: { w: w2 } })).rejects.toThrow(/ENOSPC/);
  diskFull = false;

  expect(fs.readFileSync(path.join(dir, 'model.safetensors')).equals(before)).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ version: 1 });
  expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
  expect(fs.readdirSync(path.dirname(dir))).toEqual(['ckpt']); // no staging folder left beside it
  tf.dispose([w1, w2]);
});

test('the temporary file of a killed single-file write is removed by the next write of that file', async () => {
  const { spawnSync } = require('node:child_process');
  const deadPid: number = spawnSync(process.execPath, ['-e', '0']).pid; // exited: its pid names no process
  const dir = tempDir('gensparse-tmpfile-');
  const file = path.join(dir, 'w.safetensors');
  const stale = path.join(dir, `.w.safetensors.${deadPid}.m3x9-0.tmp`);
  const unrelated = path.join(dir, '.w.safetensors.notes');
  fs.writeFileSync(stale, new Uint8Array(1000));
  fs.writeFileSync(unrelated, 'kept');
  const w = tf.ones([4]);
  await saveSafetensors(file, { w });
  expect(fs.readdirSync(dir).sort()).toEqual(['.w.safetensors.notes', 'w.safetensors']);
  w.dispose();
});

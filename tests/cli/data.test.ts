/**
 * The command line's `--data`: a folder of .npy and .safetensors files read as one matrix, the tail
 * held-out split and the wrapping training range, checked against the plain concatenation of the
 * files' rows (seeded random values, odd sizes, ranges that straddle file boundaries).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RowRangeSource, defaultRowsInMemory, openRowSet, splitRows } from '../../src/cli/data';
import { saveSafetensors } from '../../src/core/checkpoint';
import { Rng } from '../../src/core/random';
import { writeNpy } from '../../src/data/npy';

const D = 5;
let dir: string;
let all: Float32Array; // the rows of a.npy, b.safetensors, c.npy, in that order
const ROWS = [7, 4, 9];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-rowset-'));
  const rng = new Rng(3);
  all = Float32Array.from({ length: 20 * D }, () => rng.normal());
  const part = (i: number) => {
    const start = ROWS.slice(0, i).reduce((a, b) => a + b, 0);
    return all.slice(start * D, (start + ROWS[i]) * D);
  };
  writeNpy(path.join(dir, 'a.npy'), part(0), [ROWS[0], D]);
  const t = tf.tensor2d(part(1), [ROWS[1], D]);
  await saveSafetensors(path.join(dir, 'b.safetensors'), { acts: t });
  t.dispose();
  writeNpy(path.join(dir, 'c.npy'), part(2), [ROWS[2], D]);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored: not a data file');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a folder reads as the concatenation of its files in name order', () => {
  const set = openRowSet(dir);
  try {
    expect(set.files.map((f) => path.basename(f))).toEqual(['a.npy', 'b.safetensors', 'c.npy']);
    expect([set.rows, set.dim]).toEqual([20, D]);
    expect(Array.from(set.readRows(0, 20))).toEqual(Array.from(all));
    // Every range, including those that cross a file boundary.
    for (let start = 0; start < 20; start++) {
      for (const count of [1, 3, 20 - start]) {
        if (start + count > 20) continue;
        expect(Array.from(set.readRows(start, count))).toEqual(
          Array.from(all.subarray(start * D, (start + count) * D)),
        );
      }
    }
  } finally {
    set.close();
  }
});

test('the training range wraps inside itself and never reaches the held-out rows', () => {
  const { trainRows, heldOutRows } = splitRows(20, 0.25);
  expect([trainRows, heldOutRows]).toEqual([15, 5]);
  const set = openRowSet(dir);
  try {
    const source = new RowRangeSource(set, 0, trainRows);
    const drawn = [source.nextBatch(6), source.nextBatch(6), source.nextBatch(6)];
    // Naive: row i of the stream is row (i mod 15) of the matrix.
    const expected = Float32Array.from({ length: 18 * D }, (_, j) => all[(Math.floor(j / D) % 15) * D + (j % D)]);
    const got = new Float32Array(18 * D);
    drawn.forEach((b, i) => got.set(b, i * 6 * D));
    expect(Array.from(got)).toEqual(Array.from(expected));
  } finally {
    set.close();
  }
});

test('splitRows: the last round(f * rows) rows, at least one when f > 0, and a named error when none is left', () => {
  expect(splitRows(1000, 0)).toEqual({ trainRows: 1000, heldOutRows: 0 });
  expect(splitRows(1000, 0.1)).toEqual({ trainRows: 900, heldOutRows: 100 });
  expect(splitRows(10, 0.01)).toEqual({ trainRows: 9, heldOutRows: 1 });
  expect(splitRows(7, 0.5)).toEqual({ trainRows: 3, heldOutRows: 4 }); // round(3.5) = 4
  expect(() => splitRows(1, 0.5)).toThrow('--held-out: 0.5 of 1 rows leaves no training rows');
  expect(() => splitRows(10, 1)).toThrow('--held-out: must be a fraction in [0, 1)');
});

test('files of different dimensions, an empty folder and a missing path are named errors', () => {
  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-rowset-bad-'));
  try {
    expect(() => openRowSet(other)).toThrow('holds no .npy or .safetensors file');
    writeNpy(path.join(other, 'a.npy'), new Float32Array(6), [2, 3]);
    writeNpy(path.join(other, 'b.npy'), new Float32Array(8), [2, 4]);
    expect(() => openRowSet(other)).toThrow(/b\.npy has rows of dim 4, but .*a\.npy has dim 3/);
    expect(() => openRowSet(path.join(other, 'missing.npy'))).toThrow('--data: ');
  } finally {
    fs.rmSync(other, { recursive: true, force: true });
  }
});

test('rows held in memory by default: 65,536, or what fits in 256 MiB of float32', () => {
  expect(defaultRowsInMemory(16)).toBe(65536);
  expect(defaultRowsInMemory(1024)).toBe(65536); // exactly 256 MiB
  expect(defaultRowsInMemory(4096)).toBe(16384);
  expect(defaultRowsInMemory(3000)).toBe(Math.floor(2 ** 28 / 12000)); // 22369 rows = 268,428,000 bytes
  expect(defaultRowsInMemory(2 ** 27)).toBe(1); // never zero
});

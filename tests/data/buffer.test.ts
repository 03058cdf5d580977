import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActivationBuffer } from '../../src/data/buffer';
import { openNpy, writeNpy } from '../../src/data/npy';
import { type ActivationSource, ArraySource } from '../../src/data/source';

/** Rows [id, -id, id/2]: row i of the stream carries its own index, so order can be checked. Wraps after `period` rows. */
class CountingSource implements ActivationSource {
  readonly dim = 3;
  next = 0;
  constructor(readonly period = Infinity) {}
  nextBatch(batchSize: number): Float32Array {
    const out = new Float32Array(batchSize * 3);
    for (let b = 0; b < batchSize; b++) {
      const id = this.next++ % this.period;
      out.set([id, -id, id / 2], b * 3);
    }
    return out;
  }
}

function ids(batch: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < batch.length; i += 3) {
    expect([batch[i + 1], batch[i + 2]]).toEqual([-batch[i], batch[i] / 2]); // rows travel intact
    out.push(batch[i]);
  }
  return out;
}

describe('ActivationBuffer', () => {
  test('shuffled: every row of a pass exactly once, in an order other than the source order', () => {
    const period = 500;
    const buf = new ActivationBuffer({ source: new CountingSource(period), capacity: period, refillAt: 0, seed: 1 });
    const seen = [...ids(buf.nextBatch(200)), ...ids(buf.nextBatch(300))];
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: period }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: period }, (_, i) => i));
    // The second pass is again a permutation, drawn in a different order.
    const second = ids(buf.nextBatch(period));
    expect([...second].sort((a, b) => a - b)).toEqual(Array.from({ length: period }, (_, i) => i));
    expect(second).not.toEqual(seen);
  });

  test('shuffled with the default half-capacity refill: no row twice, every row read is served or still held, mixed across refills', () => {
    const source = new CountingSource();
    const buf = new ActivationBuffer({ source, capacity: 64, seed: 2 });
    const seen = ids(buf.nextBatch(1000));
    expect(new Set(seen).size).toBe(1000);
    // Everything read from the source is either served or still in the buffer.
    expect(buf.rowsRead).toBe(1000 + buf.size);
    expect(source.next).toBe(buf.rowsRead);
    expect(seen.every((id) => id < source.next)).toBe(true);
    // Rows from far apart in the stream share a batch: the point of the buffer.
    const late = ids(buf.nextBatch(32));
    expect(Math.max(...late) - Math.min(...late)).toBeGreaterThan(32);
  });

  test('sequential: rows come out in source order across refills and batch boundaries', () => {
    const buf = new ActivationBuffer({ source: new CountingSource(), capacity: 10, shuffle: false, seed: 3 });
    const seen = [...ids(buf.nextBatch(7)), ...ids(buf.nextBatch(25)), ...ids(buf.nextBatch(1))];
    expect(seen).toEqual(Array.from({ length: 33 }, (_, i) => i));
  });

  test('seeded: the same seed repeats the order, another seed changes it', () => {
    const draw = (seed: number) =>
      ids(new ActivationBuffer({ source: new CountingSource(), capacity: 50, seed }).nextBatch(200));
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  test('reports its fill level', () => {
    const buf = new ActivationBuffer({ source: new CountingSource(), capacity: 8, refillAt: 2 });
    expect(buf.fill).toBe(0);
    buf.refill();
    expect(buf.fill).toBe(1);
    buf.nextBatch(3);
    expect(buf.size).toBe(5);
    expect(buf.fill).toBeCloseTo(5 / 8);
    buf.nextBatch(3); // 5 -> 2 rows, then refill at the next draw
    expect(buf.size).toBe(2);
    buf.nextBatch(1);
    expect(buf.size).toBe(7);
    expect(buf.rowsServed).toBe(7);
  });

  test('rejects bad options and a source that returns the wrong length', () => {
    const source = new CountingSource();
    expect(() => new ActivationBuffer({ source, capacity: 0 })).toThrow(/capacity/);
    expect(() => new ActivationBuffer({ source, capacity: 4, refillAt: 4 })).toThrow(/refillAt/);
    expect(() => new ActivationBuffer({ source, capacity: 4 }).nextBatch(0)).toThrow(/batchSize/);
    const bad: ActivationSource = { dim: 3, nextBatch: (n) => new Float32Array(n * 2) };
    expect(() => new ActivationBuffer({ source: bad, capacity: 4 }).nextBatch(1)).toThrow(/source/);
  });
});

describe('ArraySource', () => {
  test('returns rows in order and wraps, counting epochs; rejects ragged data', () => {
    const src = new ArraySource(Float32Array.from([0, 0, 1, -1, 2, -2]), 2);
    expect(src.rows).toBe(3);
    expect(Array.from(src.nextBatch(2))).toEqual([0, 0, 1, -1]);
    expect(Array.from(src.nextBatch(4))).toEqual([2, -2, 0, 0, 1, -1, 2, -2]);
    expect(src.epoch).toBe(1);
    expect(() => new ArraySource(new Float32Array(5), 2)).toThrow(/whole number of rows/);
    // Behind a FIFO buffer the order survives.
    const buf = new ActivationBuffer({
      source: new ArraySource(
        Float32Array.from({ length: 30 }, (_, i) => i),
        1,
      ),
      capacity: 7,
      shuffle: false,
    });
    expect(Array.from(buf.nextBatch(40))).toEqual(Array.from({ length: 40 }, (_, i) => i % 30));
  });
});

describe('finite sources (a file read once, loop: false)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-epoch-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ROWS = 1000;
  const file = path.join(dir, 'rows.npy');
  // Row i is [i, -i, i/2] (as CountingSource), so every row can be identified.
  writeNpy(
    file,
    Float32Array.from({ length: ROWS * 3 }, (_, j) => [1, -1, 0.5][j % 3] * Math.floor(j / 3)),
    [ROWS, 3],
  );

  test('the file counts down rowsLeft; a batch past the end is refused before reading anything', () => {
    const src = openNpy(file, { loop: false, windowBytes: 64 });
    expect(src.rowsLeft).toBe(ROWS);
    expect(ids(src.nextBatch(990))).toEqual(Array.from({ length: 990 }, (_, i) => i));
    expect(src.rowsLeft).toBe(10);
    expect(() => src.nextBatch(11)).toThrow(/^batchSize: 11 rows asked but 10 left before the end of .*rows\.npy/);
    expect(ids(src.nextBatch(10))).toEqual(Array.from({ length: 10 }, (_, i) => 990 + i)); // nothing was consumed
    expect(src.rowsLeft).toBe(0);
    expect(openNpy(file).rowsLeft).toBeUndefined(); // loop: true is endless
    src.close();
  });

  test.each([true, false])('the buffer drains at the end: one exact epoch, every row once (shuffle %s)', (shuffle) => {
    const src = openNpy(file, { loop: false, windowBytes: 256 });
    const buffer = new ActivationBuffer({ source: src, capacity: 128, shuffle, seed: 3 });
    const seen: number[] = [];
    let batches = 0;
    while ((buffer.rowsLeft as number) > 0) {
      seen.push(...ids(buffer.nextBatch(Math.min(48, buffer.rowsLeft as number))));
      batches++;
    }
    expect(batches).toBe(Math.ceil(ROWS / 48));
    expect(seen.length).toBe(ROWS);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    if (shuffle) expect(seen).not.toEqual(Array.from({ length: ROWS }, (_, i) => i));
    else expect(seen).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expect(buffer.rowsRead).toBe(ROWS);
    expect(buffer.rowsServed).toBe(ROWS);
    expect(() => buffer.nextBatch(1)).toThrow(/^batchSize: 1 rows asked but 0 left before the end of the source/);
    src.close();
  });

  test('an endless source keeps rowsLeft undefined through the buffer', () => {
    const buffer = new ActivationBuffer({ source: new CountingSource(), capacity: 16 });
    buffer.nextBatch(40);
    expect(buffer.rowsLeft).toBeUndefined();
  });
});

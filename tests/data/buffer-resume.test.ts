/**
 * ActivationBuffer.getState/setState over a file: a buffer stopped after some batches and
 * rebuilt over the reopened file (state restored) hands out exactly the batches an uninterrupted
 * buffer hands out, for a looping file and for one read once (drained to the end).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActivationBuffer, type ActivationBufferState } from '../../src/data/buffer';
import { openNpy, writeNpy } from '../../src/data/npy';
import { Rng } from '../../src/core/random';
import { ArraySource } from '../../src/data/source';

const ROWS = 503;
const DIM = 5;
let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-buffer-resume-'));
  const rng = new Rng(11);
  file = path.join(dir, 'acts.npy');
  writeNpy(
    file,
    Float32Array.from({ length: ROWS * DIM }, () => rng.normal()),
    [ROWS, DIM],
  );
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function makeBuffer(loop: boolean, shuffle: boolean, capacity = 64) {
  // A small read window so the reader wraps and re-reads across windows.
  const source = openNpy(file, { loop, windowBytes: 7 * DIM * 4 });
  return { source, buffer: new ActivationBuffer({ source, capacity, shuffle, seed: 3 }) };
}

/** Batch sizes that do not divide the file or the buffer: 37, 37, ... (the last one shortened at the end of a finite source). */
function drawAll(buffer: ActivationBuffer, batches: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batches; b++) {
    const left = buffer.rowsLeft;
    if (left === 0) break;
    out.push(buffer.nextBatch(left === undefined ? 37 : Math.min(37, left)));
  }
  return out;
}

describe.each([
  { loop: true, shuffle: true },
  { loop: false, shuffle: true },
  { loop: true, shuffle: false },
  { loop: false, shuffle: false },
])('ActivationBuffer resume over a .npy file (loop: $loop, shuffle: $shuffle)', ({ loop, shuffle }) => {
  test('stopped after s batches and restored over the reopened file: the same batches as uninterrupted', () => {
    const total = loop ? 60 : 100; // loop: 60 * 37 rows = 4.4 passes; loop false: drained to the end
    const straight = makeBuffer(loop, shuffle);
    const expected = drawAll(straight.buffer, total);
    straight.source.close();
    if (!loop) expect(expected.reduce((n, b) => n + b.length / DIM, 0)).toBe(ROWS); // one exact epoch

    for (const s of [0, 1, 5, 14, 31]) {
      const first = makeBuffer(loop, shuffle);
      const before = drawAll(first.buffer, s);
      // Through JSON, as a checkpoint stores it.
      const state = JSON.parse(JSON.stringify(first.buffer.getState())) as ActivationBufferState;
      first.source.close();
      // Compact: the held indices take 4 bytes a row (base64), nothing grows with the run.
      expect(Buffer.from(state.held, 'base64').length).toBeLessThanOrEqual(4 * 64);
      expect(JSON.stringify(state).length).toBeLessThan(Math.ceil((4 * 64) / 3) * 4 + 300);

      const second = makeBuffer(loop, shuffle);
      second.buffer.setState(state);
      const after = drawAll(second.buffer, total - before.length);
      expect(second.buffer.rowsLeft).toBe(loop ? undefined : 0);
      second.source.close();
      const resumed = [...before, ...after];
      expect(resumed.length).toBe(expected.length);
      for (let b = 0; b < expected.length; b++) expect(resumed[b]).toEqual(expected[b]);
    }
  });
});

describe('ActivationBuffer state errors', () => {
  test('a source that cannot re-read rows by index: a ConfigError, not a silent partial state', () => {
    const buffer = new ActivationBuffer({ source: new ArraySource(new Float32Array(40).fill(1), 4), capacity: 5 });
    expect(() => buffer.getState()).toThrow(/source: cannot re-read rows by index/);
  });

  test('a state from another capacity, or with indices outside the file, is refused by name', () => {
    const a = makeBuffer(true, true, 64);
    a.buffer.nextBatch(10);
    const state = a.buffer.getState();
    a.source.close();
    const b = makeBuffer(true, true, 32);
    expect(() => b.buffer.setState(state)).toThrow(/state.capacity: is 64, this buffer's 32/);
    const bad = Buffer.alloc(4);
    bad.writeUInt32LE(ROWS, 0);
    const c = makeBuffer(true, true, 64);
    expect(() => c.buffer.setState({ ...state, held: bad.toString('base64') })).toThrow(/state.held: row index 503/);
    b.source.close();
    c.source.close();
  });
});

/**
 * Sparse decode: reference and kernel against a naive JS loop, forward and all three gradients.
 * Tolerance (float32): atol 1e-4, rtol 1e-4 (sums of K or B products).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import * as sd from '../../kernels/sparse-decode';
import { expectClose, naiveDecode, naiveDecodeGrad, randn, randomIndices, read, dot } from './naive';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';
import { sortByLatent, sparseDecodeSimd } from '../../kernels/sparse-decode/wasm';
import { startWasmSync, startWasmThreaded } from '../../src/core/wasm-node';

beforeAll(() => setPoisonOutputs(true));
afterAll(() => setPoisonOutputs(false));

describe.each([
  ['reference', sd.sparseDecodeReference],
  ['kernel', sd.sparseDecode],
] as const)('sparseDecode (%s)', (_name, fn) => {
  test.each([
    [1, 1, 1, 1],
    [3, 2, 7, 5],
    [4, 16, 16, 3],
    [5, 1, 33, 17],
    [6, 8, 100, 64],
  ])('B=%i K=%i N=%i D=%i forward and gradients equal the naive loop', async (b, k, n, d) => {
    const rng = new Rng(4000 + b * k * n * d);
    const v = randn(rng, b * k),
      idx = randomIndices(rng, b, k, n),
      w = randn(rng, n * d),
      bDec = randn(rng, d);
    for (let i = 0; i < v.length; i += 4) v[i] = 0; // zeros in the code, as ReLU leaves them
    const g = randn(rng, b * d);
    const vT = tf.tensor2d(v, [b, k]),
      iT = tf.tensor2d(idx, [b, k], 'int32'),
      wT = tf.tensor2d(w, [n, d]),
      bT = tf.tensor1d(bDec);
    const gT = tf.tensor2d(g, [b, d]);
    const out = fn(vT, iT, wT, bT);
    expect(out.shape).toEqual([b, d]);
    expectClose(await read(out), naiveDecode(v, idx, w, bDec, b, k, d), { atol: 1e-4, label: 'xhat' });
    const want = naiveDecodeGrad(v, idx, w, g, b, k, n, d);
    const grads = tf.grads((a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      dot(fn(a as tf.Tensor2D, iT, ww as tf.Tensor2D, bb as tf.Tensor1D), gT),
    )([vT, wT, bT]);
    expectClose(await read(grads[0]), want.dValues, { atol: 1e-4, label: 'dValues' });
    expectClose(await read(grads[1]), want.dW, { atol: 1e-4, label: 'dW' });
    expectClose(await read(grads[2]), want.dB, { atol: 1e-4, label: 'dbDec' });
    tf.dispose([vT, iT, wT, bT, gT, out, ...grads]);
  });

  test('rejects float indices and mismatched shapes', () => {
    const v = tf.ones([2, 3]) as tf.Tensor2D,
      w = tf.ones([5, 4]) as tf.Tensor2D,
      bb = tf.ones([4]) as tf.Tensor1D;
    const fi = tf.zeros([2, 3]) as tf.Tensor2D;
    const ii = tf.zeros([2, 3], 'int32') as tf.Tensor2D;
    expect(() => fn(v, fi, w, bb)).toThrow(/indicesBK/);
    expect(() => fn(v, ii, w, tf.ones([3]) as tf.Tensor1D)).toThrow(/bDecD/);
    tf.dispose([v, w, bb, fi, ii]);
  });

  test('no tensor leaks over repeated forward + backward', () => {
    const rng = new Rng(9);
    const vT = tf.tensor2d(randn(rng, 4 * 3), [4, 3]),
      iT = tf.tensor2d(randomIndices(rng, 4, 3, 20), [4, 3], 'int32');
    const wT = tf.tensor2d(randn(rng, 20 * 6), [20, 6]),
      bT = tf.tensor1d(randn(rng, 6));
    const run = () =>
      tf.tidy(() => {
        const gs = tf.grads((a: tf.Tensor, ww: tf.Tensor) =>
          fn(a as tf.Tensor2D, iT, ww as tf.Tensor2D, bT)
            .square()
            .sum(),
        )([vT, wT]);
        gs[1].dataSync();
      });
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([vT, iT, wT, bT]);
  });
});

describe.each([
  ['reference', sd.sparseDecodeStackReference, sd.sparseDecodeReference],
  ['kernel', sd.sparseDecodeStack, sd.sparseDecode],
] as const)('sparseDecodeStack (%s)', (_name, stackFn, singleFn) => {
  // Three members, each with its block of B rows of the code (zeros in it, as a padded code has):
  // each member's rows and gradients are exactly the single decode's (tested above against the naive loop).
  const [s, b, k, n, d] = [3, 5, 4, 20, 9];
  const rng = new Rng(4200);
  const make = () => {
    const v = randn(rng, s * b * k);
    for (let i = 0; i < v.length; i += 3) v[i] = 0;
    return {
      v: tf.tensor2d(v, [s * b, k]),
      idx: tf.tensor2d(randomIndices(rng, s * b, k, n), [s * b, k], 'int32'),
      members: [0, 1, 2].map(() => ({
        wDecND: tf.tensor2d(randn(rng, n * d), [n, d]),
        bDecD: tf.tensor1d(randn(rng, d)),
      })),
      g: tf.tensor2d(randn(rng, s * b * d), [s * b, d]),
    };
  };

  test('every member equals the single decode, forward and all three gradients', async () => {
    const { v, idx, members, g } = make();
    const weights = members.flatMap((m) => [m.wDecND, m.bDecD]);
    const out = await read(stackFn(v, idx, members));
    const grads = tf.grads((vv: tf.Tensor, ...w: tf.Tensor[]) => {
      const ms = members.map((_, m) => ({ wDecND: w[2 * m] as tf.Tensor2D, bDecD: w[2 * m + 1] as tf.Tensor1D }));
      return dot(stackFn(vv as tf.Tensor2D, idx, ms), g);
    })([v, ...weights]);
    const [dv, ...dWeights] = await Promise.all(grads.map(read));
    for (const [m, { wDecND, bDecD }] of members.entries()) {
      const rows = (t: tf.Tensor2D) => t.slice([m * b, 0], [b, -1]) as tf.Tensor2D;
      const [vm, im, gm] = [rows(v), rows(idx), rows(g)];
      expect(Array.from(out.subarray(m * b * d, (m + 1) * b * d))).toEqual(
        Array.from(await read(singleFn(vm, im, wDecND, bDecD))),
      );
      const single = tf.grads((vv: tf.Tensor, w: tf.Tensor, bb: tf.Tensor) =>
        dot(singleFn(vv as tf.Tensor2D, im, w as tf.Tensor2D, bb as tf.Tensor1D), gm),
      )([vm, wDecND, bDecD]);
      const [sv, sw, sb] = await Promise.all(single.map(read));
      expect(Array.from(dv.subarray(m * b * k, (m + 1) * b * k))).toEqual(Array.from(sv));
      expect(Array.from(dWeights[2 * m])).toEqual(Array.from(sw));
      expect(Array.from(dWeights[2 * m + 1])).toEqual(Array.from(sb));
      tf.dispose([vm, im, gm, ...single]);
    }
    tf.dispose([v, idx, g, ...weights, ...grads]);
  });

  test('rejects rows that do not split into the members, and mismatched members; no leaks', () => {
    const { v, idx, members, g } = make();
    const narrow = { wDecND: tf.zeros([n, d - 1]) as tf.Tensor2D, bDecD: tf.zeros([d - 1]) as tf.Tensor1D };
    const before = tf.memory().numTensors;
    expect(() => stackFn(v, idx, members.slice(0, 2))).toThrow(
      /^valuesBK: has 15 rows, not a multiple of the 2 members/,
    );
    expect(() => stackFn(v, idx, [members[0], members[1], narrow])).toThrow(
      /^members\[2\]\.wDecND: has shape \[20, 8\]/,
    );
    expect(() => stackFn(v, idx, [])).toThrow(/^members: must be a non-empty list/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([v, idx, g, ...members.flatMap((m) => [m.wDecND, m.bDecD]), narrow.wDecND, narrow.bDecD]);
  });
});

describe('sparse decode on wasm: the SIMD loops over the heap', () => {
  const onWasm = () => tf.getBackend() === 'wasm';

  test('sortByLatent groups code positions by latent, in order (a naive filter per latent)', () => {
    const rng = new Rng(77);
    const b = 6,
      k = 4,
      n = 9;
    const idx = randomIndices(rng, b, k, n);
    idx[5] = idx[4] = 3; // a repeated latent within one row is still two entries
    const starts = new Int32Array(n + 1),
      entries = new Int32Array(b * k);
    sortByLatent(idx, n, starts, entries);
    for (let m = 0; m < n; m++) {
      const want = Array.from(idx.keys()).filter((p) => idx[p] === m);
      expect(Array.from(entries.subarray(starts[m], starts[m + 1]))).toEqual(want);
    }
    expect(starts[n]).toBe(b * k);
  });

  const check = async (b: number, k: number, n: number, d: number, seed: number) => {
    const rng = new Rng(seed);
    const v = randn(rng, b * k),
      idx = randomIndices(rng, b, k, n),
      w = randn(rng, n * d),
      bDec = randn(rng, d),
      g = randn(rng, b * d);
    const [vT, iT, wT, bT, gT] = [
      tf.tensor2d(v, [b, k]),
      tf.tensor2d(idx, [b, k], 'int32'),
      tf.tensor2d(w, [n, d]),
      tf.tensor1d(bDec),
      tf.tensor2d(g, [b, d]),
    ];
    const out = sd.sparseDecode(vT as tf.Tensor2D, iT as tf.Tensor2D, wT as tf.Tensor2D, bT as tf.Tensor1D);
    expectClose(await read(out), naiveDecode(v, idx, w, bDec, b, k, d), { atol: 1e-4, label: 'xhat' });
    const want = naiveDecodeGrad(v, idx, w, g, b, k, n, d);
    const grads = tf.grads((a: tf.Tensor, ww: tf.Tensor) =>
      dot(sd.sparseDecode(a as tf.Tensor2D, iT as tf.Tensor2D, ww as tf.Tensor2D, bT as tf.Tensor1D), gT),
    )([vT, wT]);
    expectClose(await read(grads[0]), want.dValues, { atol: 1e-4, label: 'dValues' });
    expectClose(await read(grads[1]), want.dW, { atol: 1e-4, label: 'dW' });
    tf.dispose([vT, iT, wT, bT, gT, out, ...grads]);
  };

  test('the SIMD path is the one that runs on wasm (single-threaded heap)', async () => {
    if (!onWasm()) return; // the cpu project runs the JS loops, covered above
    const simd = sparseDecodeSimd(tf.backend());
    expect(simd).not.toBeNull();
    expect(simd!.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    await check(7, 5, 41, 37, 1); // D % 4 = 1: a SIMD part and a scalar tail
  });

  test('and on the threaded build (a shared heap), k = 1 and k = n', async () => {
    if (!onWasm()) return;
    await startWasmThreaded(2);
    try {
      const simd = sparseDecodeSimd(tf.backend());
      expect(simd).not.toBeNull();
      expect(simd!.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
      await check(5, 1, 13, 6, 2);
      await check(3, 11, 11, 9, 3);
    } finally {
      startWasmSync();
    }
  });
});

/**
 * Sparse decode: reference and kernel against a naive JS loop, forward and all three gradients.
 * Tolerance (float32): atol 1e-4, rtol 1e-4 (sums of K or B products).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import * as sd from '../../kernels/sparse-decode';
import { expectClose, naiveDecode, naiveDecodeGrad, randn, randomIndices, read, dot } from './naive';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';

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

/**
 * Matryoshka all-prefix loss: the reference (sorted-gap composite), the literal benchmark baseline and the kernel
 * against a naive float64 loop over all N prefixes; gradients against central finite
 * differences of that loop (float64), and kernel gradients against the reference's autodiff.
 * Tolerance: 1e-4 relative on the loss (float32 sums of N*D squares); gradients atol 1e-3, rtol 1e-3.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import * as mk from '../../kernels/matryoshka-loss';
import { matryoshkaAllPrefixLossLiteral } from '../../kernels/bench/baselines';
import { expectClose, naiveMatryoshka, randn, randomIndices, read } from './naive';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';

beforeAll(() => setPoisonOutputs(true));
afterAll(() => setPoisonOutputs(false));

const impls = [
  ['reference (sorted-gap composite)', mk.matryoshkaAllPrefixLossReference],
  ['literal (the benchmark baseline)', matryoshkaAllPrefixLossLiteral],
  ['kernel', mk.matryoshkaAllPrefixLoss],
] as const;

const shapes: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [3, 2, 9, 5],
  [4, 16, 16, 3],
  [2, 1, 33, 7],
  [5, 8, 40, 12],
];

describe.each(impls)('matryoshkaAllPrefixLoss (%s)', (_name, fn) => {
  test.each(shapes)(
    'B=%i K=%i N=%i D=%i loss equals the naive prefix walk; gradients match finite differences',
    async (b, k, n, d) => {
      const rng = new Rng(6000 + b * k * n * d);
      const v = Float32Array.from(randn(rng, b * k), Math.abs),
        idx = randomIndices(rng, b, k, n);
      if (v.length > 2) v[1] = 0;
      const w = randn(rng, n * d, 0.5),
        res = randn(rng, b * d);
      const g = randn(rng, b);
      const vT = tf.tensor2d(v, [b, k]),
        iT = tf.tensor2d(idx, [b, k], 'int32'),
        wT = tf.tensor2d(w, [n, d]),
        rT = tf.tensor2d(res, [b, d]);
      const gT = tf.tensor1d(g);
      const loss = fn(vT, iT, wT, rT);
      expect(loss.shape).toEqual([b]);
      expectClose(await read(loss), naiveMatryoshka(v, idx, w, res, b, k, n, d), {
        atol: 1e-5,
        rtol: 1e-4,
        label: 'loss',
      });
      const grads = tf.grads((a: tf.Tensor, ww: tf.Tensor, rr: tf.Tensor) =>
        fn(a as tf.Tensor2D, iT, ww as tf.Tensor2D, rr as tf.Tensor2D)
          .mul(gT)
          .sum(),
      )([vT, wT, rT]);
      const weighted = (vv: ArrayLike<number>, ww: ArrayLike<number>, rr: ArrayLike<number>) =>
        naiveMatryoshka(vv, idx, ww, rr, b, k, n, d).reduce((s, x, i) => s + x * g[i], 0);
      const h = 1e-3;
      const fdOf = (arr: Float32Array, put: (copy: Float64Array) => number) => {
        const out = new Float64Array(arr.length);
        for (let i = 0; i < arr.length; i++) {
          const plus = Float64Array.from(arr);
          plus[i] += h;
          const minus = Float64Array.from(arr);
          minus[i] -= h;
          out[i] = (put(plus) - put(minus)) / (2 * h);
        }
        return out;
      };
      expectClose(
        await read(grads[0]),
        fdOf(v, (c) => weighted(c, w, res)),
        { atol: 1e-3, rtol: 1e-3, label: 'dValues' },
      );
      expectClose(
        await read(grads[1]),
        fdOf(w, (c) => weighted(v, c, res)),
        { atol: 1e-3, rtol: 1e-3, label: 'dW' },
      );
      expectClose(
        await read(grads[2]),
        fdOf(res, (c) => weighted(v, w, c)),
        { atol: 1e-3, rtol: 1e-3, label: 'dResidual' },
      );
      tf.dispose([vT, iT, wT, rT, gT, loss, ...grads]);
    },
  );

  test('no tensor leaks over repeated forward + backward', () => {
    const rng = new Rng(61);
    const vT = tf.tensor2d(randn(rng, 12), [4, 3]),
      iT = tf.tensor2d(randomIndices(rng, 4, 3, 20), [4, 3], 'int32');
    const wT = tf.tensor2d(randn(rng, 20 * 6), [20, 6]),
      rT = tf.tensor2d(randn(rng, 24), [4, 6]);
    const run = () =>
      tf.tidy(() => {
        const gs = tf.grads((a: tf.Tensor, ww: tf.Tensor) => fn(a as tf.Tensor2D, iT, ww as tf.Tensor2D, rT).sum())([
          vT,
          wT,
        ]);
        gs[1].dataSync();
      });
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([vT, iT, wT, rT]);
  });
});

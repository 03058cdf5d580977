/**
 * The kernels composed the way a TopK / Matryoshka SAE uses them (indices from topkEncode flow
 * into sparseDecode and the Matryoshka loss), differentiated end to end: kernels vs references
 * (setUseKernels(false)) give the same loss and the same gradients for every parameter.
 * Tolerance: 1e-4 relative + 1e-4 absolute (float32, different summation orders).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import * as kernels from '../../kernels';
import { expectClose, randn, read } from './naive';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';

beforeAll(() => setPoisonOutputs(true));
afterAll(() => {
  setPoisonOutputs(false);
  kernels.setUseKernels(true);
});

test('TopK SAE step (encode -> decode -> MSE + Matryoshka) has the same loss and gradients through kernels and references', async () => {
  const b = 6,
    d = 10,
    n = 40,
    k = 5;
  const rng = new Rng(8080);
  const x = tf.tensor2d(randn(rng, b * d), [b, d]);
  const params = [
    tf.tensor2d(randn(rng, d * n, 0.4), [d, n]),
    tf.tensor1d(randn(rng, n, 0.1)),
    tf.tensor2d(randn(rng, n * d, 0.4), [n, d]),
    tf.tensor1d(randn(rng, d, 0.1)),
  ];
  const loss = (wEnc: tf.Tensor, bEnc: tf.Tensor, wDec: tf.Tensor, bDec: tf.Tensor) => {
    const { valuesBK, indicesBK } = kernels.topkEncode(
      x,
      wEnc as tf.Tensor2D,
      bEnc as tf.Tensor1D,
      bDec as tf.Tensor1D,
      k,
    );
    const xhat = kernels.sparseDecode(valuesBK, indicesBK, wDec as tf.Tensor2D, bDec as tf.Tensor1D);
    const mse = xhat.sub(x).square().sum();
    const prefix = kernels
      .matryoshkaAllPrefixLoss(valuesBK, indicesBK, wDec as tf.Tensor2D, x.sub(bDec) as tf.Tensor2D)
      .sum()
      .div(n);
    return mse.add(prefix) as tf.Scalar;
  };
  const run = async () => {
    const { value, grads } = tf.valueAndGrads(loss)(params);
    const out = [await read(value), ...(await Promise.all(grads.map(read)))];
    tf.dispose([value, ...grads]);
    return out;
  };
  kernels.setUseKernels(true);
  const before = tf.memory().numTensors;
  const fast = await run();
  expect(tf.memory().numTensors).toBe(before);
  kernels.setUseKernels(false);
  const ref = await run();
  kernels.setUseKernels(true);
  const labels = ['loss', 'dWenc', 'dbEnc', 'dWdec', 'dbDec'];
  fast.forEach((f, i) => expectClose(f, ref[i], { atol: 1e-4, rtol: 1e-4, label: labels[i] }));
  expect(Math.abs(fast[2][0]) + Math.abs(fast[1][0])).toBeGreaterThan(0); // gradients are not all zero
  tf.dispose([x, ...params]);
});

test('indices produced by tf.topk (on the tape, no gradient) can feed sparseDecode and the Matryoshka loss', async () => {
  const rng = new Rng(8181);
  const z = tf.tensor2d(randn(rng, 4 * 30), [4, 30]);
  const w = tf.tensor2d(randn(rng, 30 * 6), [30, 6]);
  const lossOf = (zz: tf.Tensor, ww: tf.Tensor) => {
    const i = tf.topk(zz, 3).indices as tf.Tensor2D; // TopK is reachable from zz and has no gradient
    const v = zz.slice([0, 0], [4, 3]).relu() as tf.Tensor2D; // a differentiable path from zz
    const xhat = kernels.sparseDecode(v, i, ww as tf.Tensor2D, tf.zeros([6]) as tf.Tensor1D);
    return xhat
      .square()
      .sum()
      .add(
        kernels.matryoshkaAllPrefixLoss(v, i, ww as tf.Tensor2D, tf.onesLike(xhat) as tf.Tensor2D).sum(),
      ) as tf.Scalar;
  };
  const before = tf.memory().numTensors;
  const grads = tf.tidy(() => tf.grads(lossOf)([z, w]));
  const dw = await read(grads[1]);
  expect(dw.some((x) => x !== 0)).toBe(true);
  tf.dispose(grads);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([z, w]);
});

/**
 * JumpReLU and its step: reference and kernel against naive loops (forward, the straight-through
 * pseudo-gradients) and finite differences for d/dz away from the threshold.
 * Tolerance (float32): atol 1e-5, rtol 1e-4; theta gradients sum B terms: atol 1e-4.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import * as jr from '../../kernels/jumprelu';
import { expectClose, randn, read, dot } from './naive';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';

beforeAll(() => setPoisonOutputs(true));
afterAll(() => setPoisonOutputs(false));

function naive(z: Float32Array, theta: Float32Array, g: Float32Array, b: number, n: number, eps: number) {
  const f = new Float64Array(b * n),
    step = new Float64Array(b * n),
    dz = new Float64Array(b * n);
  const dTheta = new Float64Array(n),
    dThetaStep = new Float64Array(n);
  for (let r = 0; r < b; r++)
    for (let c = 0; c < n; c++) {
      const i = r * n + c;
      const on = z[i] > theta[c] ? 1 : 0;
      f[i] = z[i] * on;
      step[i] = on;
      dz[i] = g[i] * on;
      const k = Math.abs(z[i] - theta[c]) < eps / 2 ? 1 : 0;
      dTheta[c] += -(theta[c] / eps) * k * g[i];
      dThetaStep[c] += -(1 / eps) * k * g[i];
    }
  return { f, step, dz, dTheta, dThetaStep };
}

describe.each([
  ['reference', jr.jumpReluReference, jr.jumpReluStepReference],
  ['kernel', jr.jumpRelu, jr.jumpReluStep],
] as const)('jumpRelu (%s)', (_name, jump, step) => {
  test.each([
    [1, 1, 0.5],
    [3, 7, 0.3],
    [8, 33, 0.05],
    [16, 128, 0.2],
  ])('B=%i N=%i eps=%d forward and gradients', async (b, n, eps) => {
    const rng = new Rng(5000 + b * n);
    const z = randn(rng, b * n, 0.5);
    const theta = Float32Array.from(randn(rng, n, 0.1), (t) => Math.abs(t) + 0.05);
    for (let c = 0; c < Math.min(n, b * n); c++) z[c] = theta[c] + (c % 2 ? 0.4 : -0.4) * eps; // inside the kernel window
    if (n > 2) z[2] = theta[2]; // exactly at the threshold: H(0) = 0
    const g = randn(rng, b * n);
    const want = naive(z, theta, g, b, n, eps);
    const zT = tf.tensor2d(z, [b, n]),
      thT = tf.tensor1d(theta),
      gT = tf.tensor2d(g, [b, n]);
    const f = jump(zT, thT, eps),
      s = step(zT, thT, eps);
    expectClose(await read(f), want.f, { label: 'f' });
    expectClose(await read(s), want.step, { label: 'step' });
    const [dz, dth] = tf.grads((a: tf.Tensor, t: tf.Tensor) => dot(jump(a as tf.Tensor2D, t as tf.Tensor1D, eps), gT))([
      zT,
      thT,
    ]);
    expectClose(await read(dz), want.dz, { label: 'dz' });
    expectClose(await read(dth), want.dTheta, { atol: 1e-4, label: 'dTheta' });
    const [dzs, dths] = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
      dot(step(a as tf.Tensor2D, t as tf.Tensor1D, eps), gT),
    )([zT, thT]);
    expect(Array.from(await read(dzs)).every((v) => v === 0)).toBe(true);
    expectClose(await read(dths), want.dThetaStep, { atol: 1e-3, label: 'dThetaStep' });
    tf.dispose([zT, thT, gT, f, s, dz, dth, dzs, dths]);
  });

  test('d/dz matches central finite differences away from the threshold', async () => {
    const rng = new Rng(51);
    const b = 3,
      n = 10,
      eps = 0.01,
      h = 1e-2;
    const z = randn(rng, b * n);
    const theta = new Float32Array(n).fill(0.1);
    for (let i = 0; i < z.length; i++) if (Math.abs(z[i] - 0.1) < 0.05) z[i] += 0.2;
    const zT = tf.tensor2d(z, [b, n]),
      thT = tf.tensor1d(theta);
    const dz = await read(tf.grad((a: tf.Tensor) => jump(a as tf.Tensor2D, thT, eps).sum())(zT));
    const fd = new Float64Array(b * n);
    for (let i = 0; i < b * n; i++) {
      const on = (x: number) => (x > 0.1 ? x : 0);
      fd[i] = (on(z[i] + h) - on(z[i] - h)) / (2 * h);
    }
    expectClose(dz, fd, { atol: 1e-3 });
    tf.dispose([zT, thT]);
  });

  test('rejects a non-positive bandwidth and a wrong theta shape', () => {
    const z = tf.ones([2, 3]) as tf.Tensor2D,
      th = tf.ones([3]) as tf.Tensor1D;
    expect(() => jump(z, th, 0)).toThrow(/bandwidth/);
    expect(() => step(z, tf.ones([4]) as tf.Tensor1D, 0.1)).toThrow(/thetaN/);
    tf.dispose([z, th]);
  });

  test('no tensor leaks over repeated forward + backward', () => {
    const rng = new Rng(52);
    const zT = tf.tensor2d(randn(rng, 40), [4, 10]),
      thT = tf.tensor1d(new Float32Array(10).fill(0.1));
    const run = () =>
      tf.tidy(() => {
        const gs = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
          jump(a as tf.Tensor2D, t as tf.Tensor1D, 0.1)
            .sum()
            .add(step(a as tf.Tensor2D, t as tf.Tensor1D, 0.1).sum()),
        )([zT, thT]);
        gs[1].dataSync();
      });
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([zT, thT]);
  });
});

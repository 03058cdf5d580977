/**
 * Reparameterized sampling: the counter-based eps (statistics: mean, variance, tails, correlation
 * across neighbouring elements and across steps; determinism in (seed, step, index)), and
 * sampleReparam (reference and kernel) against z = mu + exp(logVar/2) eps computed in a JS loop,
 * with gradients dz/dmu = 1 and dz/dlogVar = 0.5 exp(logVar/2) eps. Tolerance: atol 1e-5, rtol 1e-5.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import * as rs from '../../kernels/reparam-sample';
import { expectClose, randn, read, dot } from './naive';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';

beforeAll(() => setPoisonOutputs(true));
afterAll(() => setPoisonOutputs(false));

describe('counterNormal', () => {
  test('is N(0, 1): mean, variance, 4th moment, tail mass, no correlation across elements or steps', async () => {
    const size = 200000;
    const a = await read(rs.counterNormal([size], 12345, 0));
    const b = await read(rs.counterNormal([size], 12345, 1));
    let m = 0,
      v = 0,
      m4 = 0,
      tail = 0,
      cAdj = 0,
      cStep = 0;
    for (let i = 0; i < size; i++) {
      m += a[i];
      v += a[i] * a[i];
      m4 += a[i] ** 4;
      if (Math.abs(a[i]) > 1.96) tail++;
      if (i > 0) cAdj += a[i] * a[i - 1];
      cStep += a[i] * b[i];
    }
    m /= size;
    v /= size;
    m4 /= size;
    const se = 1 / Math.sqrt(size); // ~0.0022
    expect(Math.abs(m)).toBeLessThan(5 * se);
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2) * se);
    expect(Math.abs(m4 - 3)).toBeLessThan(5 * Math.sqrt(96) * se);
    expect(Math.abs(tail / size - 0.05)).toBeLessThan(5 * Math.sqrt(0.05 * 0.95) * se);
    expect(Math.abs(cAdj / size)).toBeLessThan(5 * se);
    expect(Math.abs(cStep / size)).toBeLessThan(5 * se);
  });

  test('is a pure function of (seed, step, index): prefixes agree, other seeds differ', async () => {
    const a = await read(rs.counterNormal([10, 3], 7, 3));
    const b = await read(rs.counterNormal([40], 7, 3));
    expect(Array.from(a)).toEqual(Array.from(b.slice(0, 30)));
    const c = await read(rs.counterNormal([30], 8, 3));
    expect(Array.from(a).filter((x, i) => x === c[i]).length).toBe(0);
    expect(() => rs.counterNormal([3], -1, 0)).toThrow(/seed/);
    expect(() => rs.counterNormal([3], 1, 1.5)).toThrow(/step/);
  });
});

describe.each([
  ['reference', rs.sampleReparamReference],
  ['kernel', rs.sampleReparam],
] as const)('sampleReparam (%s)', (_name, fn) => {
  test.each([
    [1, 1, 0, 0],
    [3, 7, 42, 5],
    [64, 20, 2 ** 32 - 1, 2 ** 31 + 3],
    [5, 33, 9, 1000],
  ])('B=%i Z=%i seed=%i step=%i: z and gradients equal the JS loop', async (b, z, seed, step) => {
    const rng = new Rng(7000 + b * z);
    const mu = randn(rng, b * z),
      logVar = randn(rng, b * z, 0.5),
      g = randn(rng, b * z);
    const eps = await read(rs.counterNormal([b * z], seed, step));
    const want = Float64Array.from(mu, (m, i) => m + Math.exp(0.5 * logVar[i]) * eps[i]);
    const muT = tf.tensor2d(mu, [b, z]),
      lvT = tf.tensor2d(logVar, [b, z]),
      gT = tf.tensor2d(g, [b, z]);
    const out = fn(muT, lvT, seed, step);
    expectClose(await read(out), want, { atol: 1e-5, rtol: 1e-5, label: 'z' });
    const [dmu, dlv] = tf.grads((a: tf.Tensor, l: tf.Tensor) =>
      dot(fn(a as tf.Tensor2D, l as tf.Tensor2D, seed, step), gT),
    )([muT, lvT]);
    expectClose(await read(dmu), g, { atol: 1e-6, label: 'dmu' });
    expectClose(
      await read(dlv),
      Float64Array.from(g, (gi, i) => gi * 0.5 * Math.exp(0.5 * logVar[i]) * eps[i]),
      { atol: 1e-5, rtol: 1e-5, label: 'dlogVar' },
    );
    tf.dispose([muT, lvT, gT, out, dmu, dlv]);
  });

  test('same (seed, step) gives the same z; another step gives another', async () => {
    const mu = tf.zeros([4, 5]) as tf.Tensor2D,
      lv = tf.zeros([4, 5]) as tf.Tensor2D;
    const a = await read(fn(mu, lv, 3, 1)),
      b = await read(fn(mu, lv, 3, 1)),
      c = await read(fn(mu, lv, 3, 2));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(() => fn(mu, tf.zeros([4, 4]) as tf.Tensor2D, 3, 1)).toThrow(/logVar/);
    tf.dispose([mu, lv]);
  });

  test('no tensor leaks over repeated forward + backward', () => {
    const mu = tf.ones([8, 4]) as tf.Tensor2D,
      lv = tf.zeros([8, 4]) as tf.Tensor2D;
    const run = (s: number) =>
      tf.tidy(() => {
        const gs = tf.grads((a: tf.Tensor, l: tf.Tensor) =>
          fn(a as tf.Tensor2D, l as tf.Tensor2D, 1, s)
            .square()
            .sum(),
        )([mu, lv]);
        gs[1].dataSync();
      });
    run(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i < 6; i++) run(i);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([mu, lv]);
  });
});

/**
 * Gradients against independent computations:
 * - JumpReLU and its step: the pseudo-derivatives written in jumprelu.ts, as JS loops;
 * - Matryoshka block size 1: the fused kernel and the O(K*D) reference against the literal loop
 *   over all N prefixes (loss and gradients to values, W_dec and the residual, rel. error < 1e-4);
 * - AuxK: the loss against a JS loop.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { jumpRelu, jumpReluReference, jumpReluStep, jumpReluStepReference } from '../../kernels/jumprelu';
import { matryoshkaAllPrefixLoss, matryoshkaAllPrefixLossReference } from '../../kernels/matryoshka-loss';
import type { SparseAutoencoder } from '../../src/sae/base';
import { auxKLoss } from '../../src/sae/losses';
import { allPrefixLossNaive, maxAbsDiff, randn, relErr, rowsOf, topIndices } from './helpers';

describe.each([
  ['reference (kernels/jumprelu/reference.ts)', jumpReluReference, jumpReluStepReference],
  ['kernel (kernels/jumprelu)', jumpRelu, jumpReluStep],
])('JumpReLU pseudo-derivatives, %s', (_name, jump, step) => {
  const B = 9;
  const N = 11;
  const eps = 0.4;
  const rng = new Rng(5);
  const z = randn(rng, B * N);
  const theta = Float32Array.from({ length: N }, () => 0.1 + 0.5 * rng.uniform());
  const dy = randn(rng, B * N);
  const K = (u: number) => (u > -0.5 && u < 0.5 ? 1 : 0);

  test('the rectangle window catches some inputs (the test exercises the kernel)', () => {
    let inside = 0;
    for (let b = 0; b < B; b++) for (let i = 0; i < N; i++) inside += K((z[b * N + i] - theta[i]) / eps);
    expect(inside).toBeGreaterThan(5);
  });

  test('d/dz JumpReLU = H(z - theta); d/dtheta JumpReLU = -(theta/eps) K((z - theta)/eps)', async () => {
    const zT = tf.tensor2d(z, [B, N]);
    const tT = tf.tensor1d(theta);
    const dyT = tf.tensor2d(dy, [B, N]);
    const [gz, gt] = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
      jump(a as tf.Tensor2D, t as tf.Tensor1D, eps)
        .mul(dyT)
        .sum(),
    )([zT, tT]);
    const wantZ = new Float32Array(B * N);
    const wantT = new Float64Array(N);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < N; i++) {
        const u = z[b * N + i] - theta[i];
        wantZ[b * N + i] = dy[b * N + i] * (u > 0 ? 1 : 0);
        wantT[i] += dy[b * N + i] * -(theta[i] / eps) * K(u / eps);
      }
    expect(maxAbsDiff(await gz.data(), wantZ)).toBeLessThan(1e-6);
    expect(maxAbsDiff(await gt.data(), wantT)).toBeLessThan(1e-5);
    tf.dispose([zT, tT, dyT, gz, gt]);
  });

  test('d/dz H(z - theta) = 0; d/dtheta H(z - theta) = -(1/eps) K((z - theta)/eps)', async () => {
    const zT = tf.tensor2d(z, [B, N]);
    const tT = tf.tensor1d(theta);
    const dyT = tf.tensor2d(dy, [B, N]);
    const [gz, gt] = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
      step(a as tf.Tensor2D, t as tf.Tensor1D, eps)
        .mul(dyT)
        .sum(),
    )([zT, tT]);
    const wantT = new Float64Array(N);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < N; i++) wantT[i] += dy[b * N + i] * -(1 / eps) * K((z[b * N + i] - theta[i]) / eps);
    expect(maxAbsDiff(await gz.data(), new Float32Array(B * N))).toBe(0);
    expect(maxAbsDiff(await gt.data(), wantT)).toBeLessThan(1e-5);
    tf.dispose([zT, tT, dyT, gz, gt]);
  });
});

describe('Matryoshka all-prefix loss (block size 1) equals the literal loop over prefixes', () => {
  const cases: [number, number, number, number][] = [
    [3, 8, 1, 4],
    [4, 13, 3, 5],
    [5, 32, 6, 7],
    [2, 40, 40, 3],
    [3, 57, 9, 16],
  ]; // [B, N, K, D]
  test.each(cases)('B=%i N=%i K=%i D=%i: loss and gradients, relative error < 1e-4', async (B, N, K, D) => {
    const rng = new Rng(B * 1000 + N);
    // Distinct random active indices per input (unsorted), positive and zero values.
    const idx = new Int32Array(B * K);
    for (let b = 0; b < B; b++) {
      const perm = rng.shuffle(Array.from({ length: N }, (_, i) => i)) as number[];
      for (let j = 0; j < K; j++) idx[b * K + j] = perm[j];
    }
    const vals = Float32Array.from({ length: B * K }, (_, i) => (i % 5 === 4 ? 0 : Math.abs(rng.normal())));
    const wDec = randn(rng, N * D, 1 / Math.sqrt(D));
    const resid = randn(rng, B * D);
    const v = tf.tensor2d(vals, [B, K]);
    const ix = tf.tensor2d(idx, [B, K], 'int32');
    const w = tf.tensor2d(wDec, [N, D]);
    const r = tf.tensor2d(resid, [B, D]);
    const g = (fn: typeof allPrefixLossNaive) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        fn(a as tf.Tensor2D, ix, b as tf.Tensor2D, c as tf.Tensor2D).sum(),
      )([v, w, r]);
    const naiveLoss = await allPrefixLossNaive(v, ix, w, r).data();
    const naiveGrads = await Promise.all(g(allPrefixLossNaive).map((t) => t.data()));
    // Independent check of the naive loss itself: a plain JS loop over prefixes.
    const R = rowsOf(resid, B, D);
    const W = rowsOf(wDec, N, D);
    for (let b = 0; b < B; b++) {
      let total = 0;
      for (let m = 1; m <= N; m++) {
        const res = R[b].slice();
        for (let j = 0; j < K; j++)
          if (idx[b * K + j] < m) for (let d = 0; d < D; d++) res[d] -= vals[b * K + j] * W[idx[b * K + j]][d];
        total += res.reduce((s, x) => s + x * x, 0);
      }
      expect(Math.abs(naiveLoss[b] - total) / total).toBeLessThan(1e-5);
    }
    for (const fn of [matryoshkaAllPrefixLossReference, matryoshkaAllPrefixLoss] as (typeof allPrefixLossNaive)[]) {
      expect(relErr(await fn(v, ix, w, r).data(), naiveLoss)).toBeLessThan(1e-4);
      const grads = g(fn);
      for (let i = 0; i < 3; i++) expect(relErr(await grads[i].data(), naiveGrads[i])).toBeLessThan(1e-4);
      tf.dispose(grads);
    }
    tf.dispose([v, ix, w, r]);
  });
});

test('AuxK: ||e - ReLU(topk_kaux(z_dead)) W_dead||^2 / ||e - mean(e)||^2, no b_dec', async () => {
  const B = 6;
  const M = 9;
  const D = 5;
  const kAux = 3;
  const rng = new Rng(11);
  const e = randn(rng, B * D);
  const z = randn(rng, B * M);
  const w = randn(rng, M * D);
  const got = auxKLoss(tf.tensor2d(e, [B, D]), tf.tensor2d(z, [B, M]), tf.tensor2d(w, [M, D]), kAux);
  const E = rowsOf(e, B, D);
  const Z = rowsOf(z, B, M);
  const W = rowsOf(w, M, D);
  const mean = Array.from({ length: D }, (_, d) => E.reduce((s, row) => s + row[d], 0) / B);
  let num = 0;
  let den = 0;
  for (let b = 0; b < B; b++) {
    const ehat = new Array(D).fill(0);
    for (const i of topIndices(Z[b], kAux)) for (let d = 0; d < D; d++) ehat[d] += Math.max(0, Z[b][i]) * W[i][d];
    for (let d = 0; d < D; d++) {
      num += (E[b][d] - ehat[d]) ** 2;
      den += (E[b][d] - mean[d]) ** 2;
    }
  }
  expect((await got.data())[0]).toBeCloseTo(num / den, 5);
  got.dispose();
});

/** A small JumpReLU (D inputs, N latents, batches of B) with a bandwidth wide enough that its kernel sees inputs. */
const SMALL = { D: 6, N: 10, B: 16 };
const SMALL_JUMPRELU = {
  architecture: 'jumprelu' as const,
  dIn: SMALL.D,
  nLatents: SMALL.N,
  bandwidth: 0.5,
  initialThreshold: 0.3,
};

/** The value and theta gradient of everything but the reconstruction (loss - mse) on one training forward. */
async function sparsityTermOf(
  sae: SparseAutoencoder,
  x: tf.Tensor2D,
): Promise<{ value: number; thetaGrad: Float32Array }> {
  const { loss, grads } = sae.params.gradients(() => {
    const out = sae.forward(x, { training: true });
    return out.loss.sub(out.losses.mse) as tf.Scalar;
  });
  const result = { value: (await loss.data())[0], thetaGrad: Float32Array.from(await grads.threshold.data()) };
  tf.dispose([loss, ...Object.values(grads)]);
  return result;
}

test('persistent KDE: at a fixed theta, the pooled L0 theta-gradient is the mean of the last W+1 batch gradients', async () => {
  const { createSae } = await import('../../src/sae/create');
  const { D, N, B } = SMALL;
  const W = 3;
  const config = { ...SMALL_JUMPRELU, l0Coefficient: 1, seed: 2 };
  const plain = createSae(config);
  const pooled = createSae({ ...config, kdeWindow: W });
  const rng = new Rng(12);
  const batches = Array.from({ length: W + 1 }, () => tf.tensor2d(randn(rng, B * D), [B, D]));
  // Gradient of the L0 term alone (loss - mse), theta only.
  const l0Grad = async (sae: typeof plain, x: tf.Tensor2D) => (await sparsityTermOf(sae, x)).thetaGrad;
  const mean = new Float64Array(N);
  for (const x of batches)
    (await l0Grad(plain, x)).forEach((v, i) => {
      mean[i] += v / (W + 1);
    });
  let last: Float32Array = new Float32Array(N);
  for (const x of batches) last = await l0Grad(pooled, x); // parameters never change: theta is fixed
  expect(maxAbsDiff(last, mean)).toBeLessThan(1e-5);
  expect(Math.max(...Array.from(mean, Math.abs))).toBeGreaterThan(0.1); // the kernel saw inputs
  tf.dispose(batches);
  plain.dispose();
  pooled.dispose();
});

test("JumpReLU with a target L0: the term is lambda (L0/T - 1)^2 (L0 counted by a loop), its theta gradient the L0 term's times 2 lambda (L0/T - 1) / T", async () => {
  const { createSae } = await import('../../src/sae/create');
  const { denseLatents } = await import('../../src/sae/latents');
  const { D, N, B } = SMALL;
  const base = { ...SMALL_JUMPRELU, seed: 4 };
  const rng = new Rng(21);
  const x = tf.tensor2d(randn(rng, B * D), [B, D]);
  // Theta gradient and value of everything but the reconstruction.
  const sparsity = async (config: Record<string, unknown>) => {
    const sae = createSae({ ...base, ...config } as typeof base);
    const { value: loss, thetaGrad: grad } = await sparsityTermOf(sae, x);
    const codes = tf.tidy(() => denseLatents(sae.encode(x), N));
    const f = await codes.array();
    codes.dispose();
    sae.dispose();
    const l0 = f.reduce((s, row) => s + row.filter((v) => v !== 0).length, 0) / B;
    return { loss, grad, l0 };
  };
  const plain = await sparsity({ l0Coefficient: 1 });
  expect(plain.loss).toBeCloseTo(plain.l0, 5);
  expect(Math.max(...Array.from(plain.grad, Math.abs))).toBeGreaterThan(0.1); // the kernel saw inputs
  // One target below the batch's L0 (thresholds pushed up), one above (pushed down).
  for (const target of [0.5 * plain.l0, 2 * plain.l0]) {
    const lambda = 3;
    const got = await sparsity({ l0Coefficient: lambda, targetL0: target });
    expect(got.l0).toBe(plain.l0);
    expect(got.loss).toBeCloseTo(lambda * (plain.l0 / target - 1) ** 2, 4);
    const scale = (2 * lambda * (plain.l0 / target - 1)) / target;
    expect(
      maxAbsDiff(
        got.grad,
        Float32Array.from(plain.grad, (g) => scale * g),
      ),
    ).toBeLessThan(1e-5);
  }
  x.dispose();
});

/**
 * Matryoshka on BatchTopK with the published groups (src/sae/matryoshka-batch-topk.ts): the group
 * layout, the prefix loss against a naive loop over groups (dense and sparse latents, and inside
 * the SAE's training forward), its gradients by central differences (exact for a loss quadratic in
 * each single parameter, up to float32 rounding), and named errors for bad groups.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';
import { createSae } from '../../src/sae/create';
import { denseLatents } from '../../src/sae/latents';
import { prefixListFvu, prefixListFvuDense } from '../../src/sae/losses';
import { prefixEnds, publishedGroupSizes } from '../../src/sae/matryoshka-batch-topk';

/** (1/G) sum_g sum_b ||x_b - b - sum_{i < m_g} f_bi W_i||^2 / sum_b ||x_b - mean(x)||^2, by loops. */
function naivePrefixFvu(
  f: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  x: Float32Array,
  B: number,
  N: number,
  D: number,
  prefixes: number[],
) {
  const mean = new Float64Array(D);
  for (let b = 0; b < B; b++) for (let j = 0; j < D; j++) mean[j] += x[b * D + j] / B;
  let variance = 0;
  for (let b = 0; b < B; b++) for (let j = 0; j < D; j++) variance += (x[b * D + j] - mean[j]) ** 2;
  let total = 0;
  for (const m of prefixes) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < D; j++) {
        let recon = bias[j];
        for (let i = 0; i < m; i++) recon += f[b * N + i] * w[i * D + j];
        total += (x[b * D + j] - recon) ** 2;
      }
    }
  }
  return total / variance / prefixes.length;
}

const B = 6;
const N = 32;
const D = 5;
const prefixes = prefixEnds(publishedGroupSizes(N)); // [2, 4, 8, 16, 32]

function inputs(seed: number) {
  const rng = new Rng(seed);
  const sparse = Float32Array.from({ length: B * N }, () => (rng.uniform() < 0.3 ? rng.uniform() * 2 : 0));
  return {
    f: sparse,
    w: Float32Array.from({ length: N * D }, () => rng.normal()),
    bias: Float32Array.from({ length: D }, () => rng.normal() * 0.3),
    x: Float32Array.from({ length: B * D }, () => rng.normal()),
  };
}

test('the published groups are [N/16, N/16, N/8, N/4, N/2]; their ends are the prefixes', () => {
  expect(publishedGroupSizes(64)).toEqual([4, 4, 8, 16, 32]);
  expect(prefixEnds([4, 4, 8, 16, 32])).toEqual([4, 8, 16, 32, 64]);
  expect(prefixes).toEqual([2, 4, 8, 16, 32]);
  expect(() => publishedGroupSizes(40)).toThrow(/multiple of 16/);
  expect(() => createSae({ architecture: 'matryoshka-batch-topk', dIn: 4, nLatents: 40, k: 2 })).toThrow(ConfigError);
  expect(() =>
    createSae({ architecture: 'matryoshka-batch-topk', dIn: 4, nLatents: 32, k: 2, groupSizes: [8, 8, 8] }),
  ).toThrow(/sum to nLatents = 32, got 24/);
  const sae = createSae({ architecture: 'matryoshka-batch-topk', dIn: 4, nLatents: 48, k: 2, groupSizes: [8, 8, 32] });
  expect(sae.prefixes).toEqual([8, 16, 48]);
  expect(sae.architecture).toBe('matryoshka-batch-topk');
  sae.dispose();
});

test('prefix loss on dense and on sparse latents equals the naive loop over groups', () => {
  const { f, w, bias, x } = inputs(1);
  const want = naivePrefixFvu(f, w, bias, x, B, N, D, prefixes);
  const fT = tf.tensor2d(f, [B, N]);
  const wT = tf.tensor2d(w, [N, D]);
  const bT = tf.tensor1d(bias);
  const xT = tf.tensor2d(x, [B, D]);
  const before = tf.memory().numTensors;
  const dense = prefixListFvuDense(fT, wT, bT, xT, prefixes);
  expect(dense.dataSync()[0]).toBeCloseTo(want, 4);
  // The same latents as a padded sparse code: each row's nonzero entries (0-padded to the widest row).
  const K = Math.max(
    ...Array.from({ length: B }, (_, b) => f.subarray(b * N, (b + 1) * N).filter((v) => v > 0).length),
  );
  const values = new Float32Array(B * K);
  const indices = new Int32Array(B * K);
  for (let b = 0; b < B; b++) {
    let at = 0;
    for (let i = 0; i < N; i++)
      if (f[b * N + i] > 0) {
        values[b * K + at] = f[b * N + i];
        indices[b * K + at++] = i;
      }
  }
  const vT = tf.tensor2d(values, [B, K]);
  const iT = tf.tensor2d(indices, [B, K], 'int32');
  const sparse = prefixListFvu(vT, iT, wT, bT, xT, prefixes);
  expect(sparse.dataSync()[0]).toBeCloseTo(want, 4);
  tf.dispose([dense, sparse, vT, iT]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([fT, wT, bT, xT]);
});

test('prefix loss gradients (latents, decoder, bias) match central differences', () => {
  const { f, w, bias, x } = inputs(2);
  const xT = tf.tensor2d(x, [B, D]);
  const loss = (fv: Float32Array, wv: Float32Array, bv: Float32Array) =>
    tf.tidy(
      () =>
        prefixListFvuDense(
          tf.tensor2d(fv, [B, N]),
          tf.tensor2d(wv, [N, D]),
          tf.tensor1d(bv),
          xT,
          prefixes,
        ).dataSync()[0],
    );
  const grads = tf.grads((fT: tf.Tensor, wT: tf.Tensor, bT: tf.Tensor) =>
    prefixListFvuDense(fT as tf.Tensor2D, wT as tf.Tensor2D, bT as tf.Tensor1D, xT, prefixes),
  );
  const [gf, gw, gb] = grads([tf.tensor2d(f, [B, N]), tf.tensor2d(w, [N, D]), tf.tensor1d(bias)]).map(
    (g) => g.dataSync() as Float32Array,
  );
  const h = 0.05;
  const check = (which: 0 | 1 | 2, at: number, analytic: number) => {
    const args = [Float32Array.from(f), Float32Array.from(w), Float32Array.from(bias)];
    args[which][at] += h;
    const plus = loss(args[0], args[1], args[2]);
    args[which][at] -= 2 * h;
    const minus = loss(args[0], args[1], args[2]);
    expect(analytic).toBeCloseTo((plus - minus) / (2 * h), 3);
  };
  // Latents in every group (indices 1, 3, 6, 12, 30 fall in groups 1-5), decoder rows likewise, the bias.
  for (const i of [1, 3, 6, 12, 30]) check(0, 2 * N + i, gf[2 * N + i]);
  for (const i of [0, 3, 7, 15, 31]) check(1, i * D + 2, gw[i * D + 2]);
  for (let j = 0; j < D; j++) check(2, j, gb[j]);
  xT.dispose();
});

test('in the SAE: the training loss prefixFvu is the naive loop on its own latents; reconstruction is not counted twice', () => {
  const rng = new Rng(5);
  const sae = createSae({ architecture: 'matryoshka-batch-topk', dIn: D, nLatents: N, k: 3, seed: 4 });
  const xT = tf.tensor2d(
    Float32Array.from({ length: 16 * D }, () => rng.normal()),
    [16, D],
  );
  const out = sae.forward(xT, { training: true });
  const fT = denseLatents(out.latents, N);
  const want = naivePrefixFvu(
    fT.dataSync() as Float32Array,
    sae.wDecND.dataSync() as Float32Array,
    sae.bDecD.dataSync() as Float32Array,
    xT.dataSync() as Float32Array,
    16,
    N,
    D,
    prefixes,
  );
  expect(out.losses.prefixFvu.dataSync()[0]).toBeCloseTo(want, 4);
  // The objective is prefixFvu + AuxK / 32 (no separate full-dictionary FVU term).
  const aux = out.losses.auxK.dataSync()[0];
  expect(out.loss.dataSync()[0]).toBeCloseTo(want + aux / 32, 4);
  tf.dispose([xT, fT, out.recon, out.loss, ...Object.values(out.losses)]);
  sae.dispose();
});

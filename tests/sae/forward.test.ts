/**
 * Forward passes of every architecture against naive loops over plain arrays (float64),
 * on both paths (fused kernels and plain-tfjs reference).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { createSae, type SaeConfig } from '../../src/sae/create';
import { denseLatents, disposeOutput, type SparseAutoencoder } from '../../src/sae/base';
import type { TopKSae } from '../../src/sae/topk';
import type { BatchTopKSae } from '../../src/sae/batch-topk';
import { decode, maxAbsDiff, preActs, randn, rowsOf, topIndices, weightsOf } from './helpers';

const B = 7;
const D = 6;
const N = 20;

/** An SAE with random (untied) weights and a nonzero b_enc / b_dec, so every term matters. */
function randomSae(config: SaeConfig, seed = 1): SparseAutoencoder {
  const sae = createSae(config);
  const rng = new Rng(seed);
  tf.tidy(() =>
    sae.params.assign({
      W_enc: tf.tensor2d(randn(rng, D * N, 0.5), [D, N]),
      b_enc: tf.tensor1d(randn(rng, N, 0.1)),
      b_dec: tf.tensor1d(randn(rng, D, 0.3)),
    }),
  );
  return sae;
}

const input = (seed = 2) => tf.tensor2d(randn(new Rng(seed), B * D), [B, D]);

describe.each([true, false])('forward (useKernels=%s)', (useKernels) => {
  test('TopK: f = scatter(ReLU(topk(z, k))), xhat = f W_dec + b_dec', async () => {
    const k = 4;
    const sae = randomSae({ architecture: 'topk', dIn: D, nLatents: N, k, useKernels });
    const x = input();
    const out = sae.forward(x);
    const w = await weightsOf(sae.params);
    const xs = rowsOf(await x.data(), B, D);
    const want: number[] = [];
    const wantRecon: number[] = [];
    for (const row of xs) {
      const z = preActs(row, w);
      const f = new Array(N).fill(0);
      for (const i of topIndices(z, k)) f[i] = Math.max(0, z[i]);
      want.push(...f);
      wantRecon.push(...decode(f, w));
    }
    const dense = denseLatents(out.latents, N);
    expect(out.latents.kind).toBe('sparse');
    expect(maxAbsDiff(await dense.data(), want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await out.recon.data(), wantRecon)).toBeLessThan(1e-5);
    // encodeWithK: any k' from the same pre-activations.
    const lat2 = (sae as TopKSae).encodeWithK(x, 2);
    const d2 = rowsOf(await denseLatents(lat2, N).data(), B, N);
    xs.forEach((row, b) => {
      const z = preActs(row, w);
      const top = topIndices(z, 2);
      d2[b].forEach((v, i) => expect(v).toBeCloseTo(top.includes(i) ? Math.max(0, z[i]) : 0, 5));
    });
    if (lat2.kind === 'sparse') {
      lat2.valuesBK.dispose();
      lat2.indicesBK.dispose();
    }
    dense.dispose();
    disposeOutput(out);
    x.dispose();
    sae.dispose();
  });

  test('Multi-TopK: loss = FVU(k) + FVU(4k)/8 from the same pre-activations', async () => {
    const k = 2;
    const sae = randomSae({
      architecture: 'topk',
      dIn: D,
      nLatents: N,
      k,
      multiTopK: true,
      auxKCoefficient: 0,
      useKernels,
    });
    const x = input();
    const out = sae.forward(x);
    const w = await weightsOf(sae.params);
    const xs = rowsOf(await x.data(), B, D);
    const mean = Array.from({ length: D }, (_, j) => xs.reduce((s, r) => s + r[j], 0) / B);
    const total = xs.reduce((s, r) => s + r.reduce((t, v, j) => t + (v - mean[j]) ** 2, 0), 0);
    const fvu = (kk: number) =>
      xs.reduce((s, row) => {
        const z = preActs(row, w);
        const f = new Array(N).fill(0);
        for (const i of topIndices(z, kk)) f[i] = Math.max(0, z[i]);
        return s + decode(f, w).reduce((t, v, j) => t + (row[j] - v) ** 2, 0);
      }, 0) / total;
    expect((await out.losses.fvu.data())[0]).toBeCloseTo(fvu(k), 5);
    expect((await out.losses.fvu4k.data())[0]).toBeCloseTo(fvu(4 * k), 5);
    expect((await out.loss.data())[0]).toBeCloseTo(fvu(k) + fvu(4 * k) / 8, 5);
    disposeOutput(out);
    x.dispose();
    sae.dispose();
  });

  test('BatchTopK: top floor(kB) of ReLU(Z) over the batch in training; ReLU(z) > theta at inference', async () => {
    const k = 3;
    const sae = randomSae({ architecture: 'batch-topk', dIn: D, nLatents: N, k, useKernels }) as BatchTopKSae;
    const x = input();
    const w = await weightsOf(sae.params);
    const Z = rowsOf(await x.data(), B, D).map((row) => preActs(row, w));
    const flat = Z.flat().map((v) => Math.max(0, v));
    const keep = new Set(topIndices(flat, Math.floor(k * B)));
    const want = flat.map((v, i) => (keep.has(i) ? v : 0));
    const train = sae.forward(x, { training: true });
    const got = await denseLatents(train.latents, N).data();
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    // The first threshold update sets theta to the smallest kept activation.
    const minKept = Math.min(...want.filter((v) => v > 0));
    expect((await sae.threshold.data())[0]).toBeCloseTo(minKept, 5);
    // Inference: the threshold, independent of the rest of the batch (row 0 alone gives the same latents).
    const alone = sae.encode(x.slice([0, 0], [1, D]));
    const inBatch = sae.encode(x);
    const row0 = Array.from(await denseLatents(alone, N).data());
    expect(maxAbsDiff(row0, Array.from(await denseLatents(inBatch, N).data()).slice(0, N))).toBe(0);
    expect(
      maxAbsDiff(
        row0,
        Z[0].map((v) => (Math.max(0, v) > minKept ? v : 0)),
      ),
    ).toBeLessThan(1e-5);
    disposeOutput(train);
    x.dispose();
    sae.dispose();
  });

  test('JumpReLU: f = z H(z - theta), loss = ||x - xhat||^2 + lambda * L0', async () => {
    const lambda = 0.3;
    const sae = randomSae({ architecture: 'jumprelu', dIn: D, nLatents: N, l0Coefficient: lambda, useKernels });
    const thetaArr = Float32Array.from({ length: N }, (_, i) => 0.05 + 0.02 * i);
    tf.tidy(() => sae.params.assign({ threshold: tf.tensor1d(thetaArr) }));
    const x = input();
    const out = sae.forward(x);
    const w = await weightsOf(sae.params);
    const xs = rowsOf(await x.data(), B, D);
    const want: number[] = [];
    let sq = 0;
    let l0 = 0;
    for (const row of xs) {
      const f = preActs(row, w).map((z, i) => (z > thetaArr[i] ? z : 0));
      const xhat = decode(f, w);
      sq += xhat.reduce((s, v, j) => s + (row[j] - v) ** 2, 0);
      l0 += f.filter((v) => v !== 0).length;
      want.push(...f);
    }
    expect(maxAbsDiff(await denseLatents(out.latents, N).data(), want)).toBeLessThan(1e-5);
    expect((await out.losses.l0.data())[0]).toBeCloseTo(l0 / B, 5);
    expect((await out.loss.data())[0]).toBeCloseTo(sq / B + lambda * (l0 / B), 4);
    disposeOutput(out);
    x.dispose();
    sae.dispose();
  });
});

test('ReLU + L1: loss = ||x - xhat||^2 + lambda * sum_i f_i ||W_dec,i||', async () => {
  const lambda = 0.7;
  const sae = randomSae({ architecture: 'relu-l1', dIn: D, nLatents: N, l1Coefficient: lambda });
  tf.tidy(() => sae.params.assign({ W_dec: sae.wDecND.mul(tf.linspace(0.5, 2, N).expandDims(1)) })); // rows of unequal norm
  const x = input();
  const out = sae.forward(x);
  const w = await weightsOf(sae.params);
  const norms = w.wDec.map((r) => Math.hypot(...r));
  let sq = 0;
  let pen = 0;
  for (const row of rowsOf(await x.data(), B, D)) {
    const f = preActs(row, w).map((z) => Math.max(0, z));
    const xhat = decode(f, w);
    sq += xhat.reduce((s, v, j) => s + (row[j] - v) ** 2, 0);
    pen += f.reduce((s, v, i) => s + v * norms[i], 0);
  }
  expect((await out.losses.mse.data())[0]).toBeCloseTo(sq / B, 4);
  expect((await out.losses.l1.data())[0]).toBeCloseTo(pen / B, 4);
  expect((await out.loss.data())[0]).toBeCloseTo(sq / B + (lambda * pen) / B, 4);
  disposeOutput(out);
  x.dispose();
  sae.dispose();
});

test('applyBDecToInput=false encodes x itself (Gemma Scope convention)', async () => {
  const sae = randomSae({ architecture: 'topk', dIn: D, nLatents: N, k: 3, applyBDecToInput: false });
  const x = input();
  const out = sae.forward(x);
  const w = await weightsOf(sae.params);
  const want: number[] = [];
  for (const row of rowsOf(await x.data(), B, D)) {
    const z = preActs(row, w, false);
    const f = new Array(N).fill(0);
    for (const i of topIndices(z, 3)) f[i] = Math.max(0, z[i]);
    want.push(...f);
  }
  expect(maxAbsDiff(await denseLatents(out.latents, N).data(), want)).toBeLessThan(1e-5);
  disposeOutput(out);
  x.dispose();
  sae.dispose();
});

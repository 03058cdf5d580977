/**
 * SAE benchmarks at the reference size d=512, n=8192, k=32, batch 1024 on the active backend:
 * each architecture's full training step (forward, backward, decoder projection, Adam,
 * renormalisation, dead-latent read-back) and its throughput, beside
 *   - the floor: one dense encoder matmul [1024,512] x [512,8192], which any TopK step must pay;
 *   - the naive composite TopK step (`useKernels: false`: dense TopK mask, autodiff through
 *     dense matmuls), measured once, and on wasm also with tfjs's stock matmul kernels (before
 *     the core's explicit-transpose fix).
 * ReLU + L1 and JumpReLU are timed at a trained SAE's sparsity (L0 about k, `atTrainedSparsity`),
 * BatchTopK at its budget k: all three then run the sparse path on cpu/wasm (src/sae/sparse-path.ts).
 * `SAE_BENCH_QUICK=1` skips the stock-kernel naive step (the slowest row).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/random';
import { installFastWasmMatMul, uninstallFastWasmMatMul } from '../kernels/wasm-patches/matmul';
import { createSae, type SaeConfig } from '../src/sae/create';
import type { SparseAutoencoder } from '../src/sae/base';
import { SaeTrainer } from '../src/sae/trainer';
import { type BenchRow, timeIt } from '../kernels/bench/harness';

const D = 512;
const N = 8192;
const K = 32;
const B = 1024;

/** A source that hands out the same random batch every time (the step is what is timed). */
function fixedSource(): { dim: number; nextBatch: (b: number) => Float32Array } {
  const rng = new Rng(7);
  const batch = Float32Array.from({ length: B * D }, () => rng.normal());
  return { dim: D, nextBatch: (b: number) => batch.subarray(0, b * D) };
}

/**
 * Sets the thresholds of a ReLU or JumpReLU SAE so that each latent fires on about `l0 / N` of
 * the benchmark batch, the sparsity of a trained SAE (from initialisation they fire on about half,
 * and their steps then take the dense path: src/sae/sparse-path.ts). For ReLU, b_enc_i = -q_i;
 * for JumpReLU, theta_i = q_i, with q_i latent i's (1 - l0/N) quantile of z over the batch.
 */
function atTrainedSparsity(sae: SparseAutoencoder, l0: number): void {
  const batch = fixedSource().nextBatch(B);
  const q = tf.tidy(() => {
    const zNB = tf.matMul(tf.tensor2d(batch, [B, D]).sub(sae.bDecD), sae.wEncDN).transpose();
    const rank = Math.max(1, Math.round((B * l0) / N)); // inputs per latent above the threshold
    return tf
      .topk(zNB, rank + 1)
      .values.slice([0, rank], [-1, 1])
      .reshape([N]); // the (rank+1)-th largest
  });
  if (sae.architecture === 'relu-l1') sae.bEncN.assign(q.neg());
  else sae.params.get('threshold').assign(q);
  q.dispose();
}

/** Median ms of one trainer step for `config` (warm-up 1, `reps` timed). */
async function stepMs(config: SaeConfig, reps: number): Promise<number> {
  const sae = createSae(config);
  if (config.architecture === 'relu-l1' || config.architecture === 'jumprelu') atTrainedSparsity(sae, K);
  const trainer = new SaeTrainer(sae, fixedSource(), { steps: 1000, batchSize: B, initSamples: 0 });
  const ms = await timeIt(
    async () => {
      const metrics = await trainer.step();
      return Object.values(metrics).filter((v): v is tf.Scalar => typeof v !== 'number');
    },
    { warmup: 1, reps },
  );
  trainer.dispose();
  sae.dispose();
  return ms;
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const size = `d=${D} n=${N} k=${K} B=${B}`;
  const rng = new Rng(1);
  const x = rng.randomNormal([B, D]);
  const w = rng.randomNormal([D, N]);
  const floor = await timeIt(() => tf.matMul(x, w), { warmup: 1, reps: 5 });
  tf.dispose([x, w]);
  rows.push({
    section: 'sae',
    name: `floor: encoder matmul [${B},${D}] x [${D},${N}]`,
    fastMs: floor,
    note: `${((2 * B * D * N) / floor / 1e6).toFixed(1)} GFLOP/s`,
    compareKey: 'floor',
  });

  const naive = await stepMs({ architecture: 'topk', dIn: D, nLatents: N, k: K, useKernels: false }, 1);
  let stock: number | undefined;
  if (tf.getBackend() === 'wasm' && !process.env.SAE_BENCH_QUICK) {
    uninstallFastWasmMatMul();
    try {
      stock = await timeIt(
        async () => {
          const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: K, useKernels: false });
          const trainer = new SaeTrainer(sae, fixedSource(), { steps: 1, batchSize: B, initSamples: 0 });
          const m = await trainer.step();
          trainer.dispose();
          sae.dispose();
          return Object.values(m).filter((v): v is tf.Scalar => typeof v !== 'number');
        },
        { warmup: 0, reps: 1 },
      );
    } finally {
      installFastWasmMatMul();
    }
  }

  // [label, config, compareKey: the same step in bench/pytorch/steps.py and compare.ts]
  const archs: [string, SaeConfig, string][] = [
    ['TopK', { architecture: 'topk', dIn: D, nLatents: N, k: K }, 'topk'],
    ['Multi-TopK (k, 4k)', { architecture: 'topk', dIn: D, nLatents: N, k: K, multiTopK: true }, 'multi-topk'],
    ['BatchTopK', { architecture: 'batch-topk', dIn: D, nLatents: N, k: K }, 'batch-topk'],
    ['JumpReLU (at L0 ~ 32)', { architecture: 'jumprelu', dIn: D, nLatents: N }, 'jumprelu'],
    ['ReLU + L1 (at L0 ~ 32)', { architecture: 'relu-l1', dIn: D, nLatents: N }, 'relu-l1'],
    ['Matryoshka (every prefix)', { architecture: 'matryoshka', dIn: D, nLatents: N, k: K }, 'matryoshka'],
  ];
  for (const [label, config, compareKey] of archs) {
    const ms = await stepMs(config, 3);
    const isTopK = label === 'TopK';
    const notes = [`${Math.round((B * 1000) / ms)} inputs/s`, `${(ms / floor).toFixed(2)}x floor`];
    if (isTopK && stock !== undefined)
      notes.push(`naive with tfjs stock wasm matmul: ${(stock / 1000).toFixed(1)} s (${(stock / ms).toFixed(0)}x)`);
    rows.push({
      section: 'sae',
      name: `${label} train step ${size}${isTopK ? ' (reference: naive dense-mask step)' : ''}`,
      referenceMs: isTopK ? naive : undefined,
      fastMs: ms,
      note: notes.join('; '),
      compareKey,
    });
  }
  return rows;
}

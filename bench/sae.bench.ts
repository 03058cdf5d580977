/**
 * SAE benchmarks at the reference size d=512, n=8192, k=32, batch 1024 on the active backend
 * (and every architecture again at the experiments' size d=64, n=256, k=5, batch 256, where
 * per-op overhead rather than arithmetic bounds a step; compare keys `small/...`):
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
import { type OpProfile, describeProfile, profileOps } from '../kernels/bench/op-profile';

/** A benchmark size: input dim, latents, active latents, batch. */
export interface Shape {
  D: number;
  N: number;
  K: number;
  B: number;
}
/** The reference size (Gao et al. 2024's smallest GPT-2 runs use d=768; this is the issue's size). */
export const LARGE: Shape = { D: 512, N: 8192, K: 32, B: 1024 };
/** The experiments' size (the reproduction toys). */
export const SMALL: Shape = { D: 64, N: 256, K: 5, B: 256 };

/** "d=512 n=8192 k=32 B=1024". */
export function sizeLabel({ D, N, K, B }: Shape): string {
  return `d=${D} n=${N} k=${K} B=${B}`;
}

/** A source that hands out the same random batch every time (the step is what is timed). */
export function fixedSource({ D, B }: Shape): { dim: number; nextBatch: (b: number) => Float32Array } {
  const rng = new Rng(7);
  const batch = Float32Array.from({ length: B * D }, () => rng.normal());
  return { dim: D, nextBatch: (b: number) => batch.subarray(0, b * D) };
}

/**
 * Sets the thresholds of a ReLU or JumpReLU SAE so that each latent fires on about `K / N` of
 * the benchmark batch, the sparsity of a trained SAE (from initialisation they fire on about half,
 * and their steps then take the dense path: src/sae/sparse-path.ts). For ReLU, b_enc_i = -q_i;
 * for JumpReLU, theta_i = q_i, with q_i latent i's (1 - K/N) quantile of z over the batch.
 * Other architectures are left as they are.
 */
export function atTrainedSparsity(sae: SparseAutoencoder, shape: Shape): void {
  if (sae.architecture !== 'relu-l1' && sae.architecture !== 'jumprelu') return;
  const { D, N, K, B } = shape;
  const batch = fixedSource(shape).nextBatch(B);
  const q = tf.tidy(() => {
    const zNB = tf.matMul(tf.tensor2d(batch, [B, D]).sub(sae.bDecD), sae.wEncDN).transpose();
    const rank = Math.max(1, Math.round((B * K) / N)); // inputs per latent above the threshold
    return tf
      .topk(zNB, rank + 1)
      .values.slice([0, rank], [-1, 1])
      .reshape([N]); // the (rank+1)-th largest
  });
  if (sae.architecture === 'relu-l1') sae.bEncN.assign(q.neg());
  else sae.params.get('threshold').assign(q);
  q.dispose();
}

/** The tensors of a step's metric record (timeIt reads them back, so the step's work is counted). */
export function metricTensors(metrics: Record<string, tf.Scalar | number>): tf.Scalar[] {
  return Object.values(metrics).filter((v): v is tf.Scalar => typeof v !== 'number');
}

/** Median ms of one trainer step for `config` (warm-up `warmup`, `reps` timed). */
async function stepMs(config: SaeConfig, shape: Shape, reps: number, warmup = 1): Promise<number> {
  return (await profiledStep(config, shape, reps, warmup, false)).ms;
}

/** `stepMs`, and with `profile` the kernels of one more step (kernels/bench/op-profile.ts). */
async function profiledStep(
  config: SaeConfig,
  shape: Shape,
  reps: number,
  warmup: number,
  profile: boolean,
): Promise<{ ms: number; ops?: OpProfile }> {
  const sae = createSae(config);
  atTrainedSparsity(sae, shape);
  const trainer = new SaeTrainer(sae, fixedSource(shape), { steps: 1000, batchSize: shape.B, initSamples: 0 });
  const ms = await timeIt(async () => metricTensors(await trainer.step()), { warmup, reps });
  const ops = profile ? await profileOps(async () => metricTensors(await trainer.step())) : undefined;
  trainer.dispose();
  sae.dispose();
  return { ms, ops };
}

/** [label, config, compareKey: the same step in bench/pytorch/steps.py and compare.ts] per architecture. */
function architectures({ D, N, K }: Shape): [string, SaeConfig, string][] {
  const sparsity = `L0 ~ ${K}`;
  return [
    ['TopK', { architecture: 'topk', dIn: D, nLatents: N, k: K }, 'topk'],
    ['Multi-TopK (k, 4k)', { architecture: 'topk', dIn: D, nLatents: N, k: K, multiTopK: true }, 'multi-topk'],
    ['BatchTopK', { architecture: 'batch-topk', dIn: D, nLatents: N, k: K }, 'batch-topk'],
    [`JumpReLU (at ${sparsity})`, { architecture: 'jumprelu', dIn: D, nLatents: N }, 'jumprelu'],
    [`ReLU + L1 (at ${sparsity})`, { architecture: 'relu-l1', dIn: D, nLatents: N }, 'relu-l1'],
    ['Matryoshka (every prefix)', { architecture: 'matryoshka', dIn: D, nLatents: N, k: K }, 'matryoshka'],
  ];
}

/** The floor row (one dense encoder matmul [B,D] x [D,N]) and its ms. */
async function floorRow(shape: Shape, compareKey: string, reps: number): Promise<BenchRow> {
  const { D, N, B } = shape;
  const rng = new Rng(1);
  const x = rng.randomNormal([B, D]);
  const w = rng.randomNormal([D, N]);
  const ms = await timeIt(() => tf.matMul(x, w), { warmup: 1, reps });
  tf.dispose([x, w]);
  return {
    section: 'sae',
    name: `floor: encoder matmul [${B},${D}] x [${D},${N}]`,
    fastMs: ms,
    note: `${((2 * B * D * N) / ms / 1e6).toFixed(1)} GFLOP/s`,
    compareKey,
  };
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { D, N, K, B } = LARGE;
  const size = sizeLabel(LARGE);
  const floorLarge = await floorRow(LARGE, 'floor', 5);
  const floor = floorLarge.fastMs;
  rows.push(floorLarge);

  const naive = await stepMs({ architecture: 'topk', dIn: D, nLatents: N, k: K, useKernels: false }, LARGE, 1);
  let stock: number | undefined;
  if (tf.getBackend() === 'wasm' && !process.env.SAE_BENCH_QUICK) {
    uninstallFastWasmMatMul();
    try {
      stock = await timeIt(
        async () => {
          const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: K, useKernels: false });
          const trainer = new SaeTrainer(sae, fixedSource(LARGE), { steps: 1, batchSize: B, initSamples: 0 });
          const m = await trainer.step();
          trainer.dispose();
          sae.dispose();
          return metricTensors(m);
        },
        { warmup: 0, reps: 1 },
      );
    } finally {
      installFastWasmMatMul();
    }
  }

  for (const [label, config, compareKey] of architectures(LARGE)) {
    const ms = await stepMs(config, LARGE, 3);
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

  // The experiments' size: many cheap steps, so more repetitions; the reference is the composite step.
  const small = sizeLabel(SMALL);
  const floorSmall = await floorRow(SMALL, 'small/floor', 50);
  rows.push(floorSmall);
  // Overhead, not arithmetic, bounds these steps: each row says how many kernels a step dispatches
  // (fast / reference) and how much of the fast step's kernel time its matmuls take.
  for (const [label, config, compareKey] of architectures(SMALL)) {
    const fast = await profiledStep(config, SMALL, 30, 5, true);
    const reference = await profiledStep({ ...config, useKernels: false }, SMALL, 30, 5, true);
    const ms = fast.ms;
    rows.push({
      section: 'sae',
      name: `${label} train step ${small} (reference: useKernels false)`,
      referenceMs: reference.ms,
      fastMs: ms,
      note: `${Math.round((SMALL.B * 1000) / ms)} inputs/s; ${(ms / floorSmall.fastMs).toFixed(0)}x floor; kernels/step ${fast.ops?.kernels} (reference ${reference.ops?.kernels}); ${describeProfile(fast.ops as OpProfile, 3)}`,
      compareKey: `small/${compareKey}`,
    });
  }
  rows.push(...(await sparsePathRows()));
  return rows;
}

/**
 * The sparse path at the experiments' size (its codes wider than N/16, at most `MIN_SPARSE_WIDTH`,
 * so it runs): each dense-activation architecture's step with the sparse path against the same
 * step held on the dense path (the choice before `MIN_SPARSE_WIDTH`), timed alternately step by
 * step on two SAEs built alike, so machine load hits both columns the same.
 */
export async function sparsePathRows(): Promise<BenchRow[]> {
  const { D, N, K } = SMALL;
  const rows: BenchRow[] = [];
  const configs: SaeConfig[] = [
    { architecture: 'relu-l1', dIn: D, nLatents: N },
    { architecture: 'jumprelu', dIn: D, nLatents: N },
    { architecture: 'batch-topk', dIn: D, nLatents: N, k: K },
  ];
  for (const config of configs) {
    const make = () => {
      const sae = createSae(config);
      atTrainedSparsity(sae, SMALL);
      return {
        sae,
        trainer: new SaeTrainer(sae, fixedSource(SMALL), { steps: 1000, batchSize: SMALL.B, initSamples: 0 }),
      };
    };
    const sparse = make();
    const dense = make();
    const holdDense = () => {
      const { json } = dense.sae.trainingState();
      dense.sae.loadTrainingState({ ...json, sparsePath: { dense: true, denseForwards: 1 } }, {});
    };
    const times: { sparse: number[]; dense: number[] } = { sparse: [], dense: [] };
    for (let rep = 0; rep < 40; rep++) {
      times.sparse.push(await timeIt(async () => metricTensors(await sparse.trainer.step()), { warmup: 0, reps: 1 }));
      holdDense();
      times.dense.push(await timeIt(async () => metricTensors(await dense.trainer.step()), { warmup: 0, reps: 1 }));
    }
    for (const { sae, trainer } of [sparse, dense]) {
      trainer.dispose();
      sae.dispose();
    }
    const median = (xs: number[]) => [...xs.slice(5)].sort((x, y) => x - y)[(xs.length - 5) >> 1];
    rows.push({
      section: 'sae',
      name: `${config.architecture} train step ${sizeLabel(SMALL)}: sparse path (reference: held on the dense path)`,
      referenceMs: median(times.dense),
      fastMs: median(times.sparse),
      note: 'alternate steps, medians of 35',
    });
  }
  return rows;
}

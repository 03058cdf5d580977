/**
 * Many SAEs in one step: `SaeTrainer` given S TopK SAEs (one stack: one batch, one tape, each SAE its
 * own optimiser) against the same S SAEs stepped one after the other (S trainers, each its own
 * batch), timed alternately in the same run, so the ratio holds on a loaded machine. Each row: the time of
 * one step of all S SAEs, and the inputs per second per SAE both ways.
 * Sizes: the experiments' d=64 n=256 k=5 B=256 at S = 1, 4, 16; the reference d=512 n=8192 k=32
 * B=1024 at S = 1, 4 only: each SAE there holds 134 MB of float32 (W_enc, W_dec, their gradients
 * and Adam's two moments), so S = 16 (2.1 GB before the step's temporaries) exceeds what the wasm
 * backend's memory can hold.
 * Beside them, the batched matmul a stacked layer would use, [S,B,D] x [S,D,N], with the core's
 * per-item wasm kernel (src/core/wasm-matmul.ts) against tfjs's own wasm kernel, and S separate
 * matmuls as the floor it should reach.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/random';
import { installFastWasmMatMul, uninstallFastWasmMatMul } from '../src/core/wasm-matmul';
import type { SparseAutoencoder } from '../src/sae/base';
import { createSae } from '../src/sae/create';
import { SaeTrainer } from '../src/sae/trainer';
import { readAndDispose } from '../src/core/train';
import { type BenchRow, timeIt } from './harness';
import { LARGE, SMALL, type Shape, fixedSource, metricTensors, sizeLabel } from './sae.bench';

/** S TopK SAEs of one shape, seeds 0 .. S-1. */
function topkSaes(shape: Shape, s: number): SparseAutoencoder[] {
  return Array.from({ length: s }, (_, seed) =>
    createSae({ architecture: 'topk', dIn: shape.D, nLatents: shape.N, k: shape.K, seed }),
  );
}

/** ms of one step of every trainer in `trainers` (each stepped once, its metrics read back). */
async function stepAll(trainers: SaeTrainer[]): Promise<number> {
  const t0 = performance.now();
  for (const t of trainers) for (const m of metricTensors(await t.step())) await readAndDispose(m);
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * One stack of S against S separate trainers, timed alternately (a separate round, then a stacked
 * one, `reps` times after `warmup`), so both see the same machine load: [separate ms, stacked ms],
 * medians of one step of all S.
 */
async function stackedVsSeparate(shape: Shape, s: number, reps: number, warmup: number): Promise<[number, number]> {
  const config = { steps: 1000, batchSize: shape.B, initSamples: 0 };
  const separateSaes = topkSaes(shape, s);
  const separate = separateSaes.map((sae) => new SaeTrainer(sae, fixedSource(shape), config));
  const stackSaes = topkSaes(shape, s);
  const stack = new SaeTrainer(stackSaes, fixedSource(shape), config);
  const times: [number[], number[]] = [[], []];
  try {
    for (let i = 0; i < warmup + reps; i++) {
      const a = await stepAll(separate);
      const b = await stepAll([stack]);
      if (i < warmup) continue;
      times[0].push(a);
      times[1].push(b);
    }
  } finally {
    for (const t of [...separate, stack]) t.dispose();
    for (const sae of [...separateSaes, ...stackSaes]) sae.dispose();
  }
  return [median(times[0]), median(times[1])];
}

/** The batched encoder matmul of a stack: the core's kernel, tfjs's own (wasm only), S separate products. */
async function batchedMatMulRow({ D, N, B }: Shape, s: number, reps: number): Promise<BenchRow> {
  const rng = new Rng(3);
  const xSBD = rng.randomNormal([s, B, D]);
  const wSDN = rng.randomNormal([s, D, N]);
  const xs = tf.unstack(xSBD);
  const ws = tf.unstack(wSDN);
  const fast = await timeIt(() => tf.matMul(xSBD, wSDN), { reps });
  const separate = await timeIt(() => xs.map((x, i) => tf.matMul(x, ws[i])), { reps });
  let stock: number | undefined;
  if (tf.getBackend() === 'wasm') {
    uninstallFastWasmMatMul();
    try {
      stock = await timeIt(() => tf.matMul(xSBD, wSDN), { warmup: 0, reps: Math.min(reps, 2) });
    } finally {
      installFastWasmMatMul();
    }
  }
  tf.dispose([xSBD, wSDN, ...xs, ...ws]);
  return {
    section: 'sae-stack',
    name: `batched matmul [${s},${B},${D}] x [${s},${D},${N}] (reference: tfjs's own wasm kernel)`,
    referenceMs: stock,
    fastMs: fast,
    note: `${s} separate matmuls: ${separate.toFixed(1)} ms (${(fast / separate).toFixed(2)}x)`,
  };
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(await batchedMatMulRow(SMALL, 4, 30));
  rows.push(await batchedMatMulRow(SMALL, 16, 30));
  rows.push(await batchedMatMulRow(LARGE, 4, 3));
  const plan: [Shape, number[], number, number][] = [
    [SMALL, [1, 4, 16], 20, 3],
    [LARGE, [1, 4], 3, 1],
  ];
  for (const [shape, stackSizes, reps, warmup] of plan) {
    for (const s of stackSizes) {
      const [separateMs, stackedMs] = await stackedVsSeparate(shape, s, reps, warmup);
      const perSae = (ms: number) => Math.round((shape.B * s * 1000) / ms / s);
      rows.push({
        section: 'sae-stack',
        name: `TopK stack of S=${s}, one step of all ${sizeLabel(shape)} (reference: S separate steps)`,
        referenceMs: separateMs,
        fastMs: stackedMs,
        note: `inputs/s per SAE: ${perSae(stackedMs)} stacked, ${perSae(separateMs)} separate`,
      });
    }
  }
  return rows;
}

/**
 * Benchmark helpers shared by every `bench/*.bench.ts` file: a timer that waits for the
 * backend to finish (reading a result back), and the table everything is printed in.
 *
 * Each row compares a reference path and a fast path measured in the same run, so the
 * ratio means something even on a busy machine.
 */
import type * as tf from '@tensorflow/tfjs';

export interface BenchRow {
  /** Which part of the package (core, vae, sae, kernels). */
  section: string;
  /** What was timed, with its size: "TopK SAE step d=512 n=8192 k=32 B=1024". */
  name: string;
  /** The reference (naive/composite/original) path, ms per call; undefined when there is none. */
  referenceMs?: number;
  /** The fast path, ms per call. */
  fastMs: number;
  /** Free text: throughput, floor, time/floor, what bounds it. */
  note?: string;
  /** Rows of the same step measured elsewhere (PyTorch) share this key; see compare.ts. */
  compareKey?: string;
}

/**
 * Median wall time (ms) of `fn` over `reps` runs after `warmup` runs. `fn` must return
 * the tensors it made (or a promise of them); they are read back (so queued GPU/wasm work
 * is counted) and disposed.
 */
export async function timeIt(
  fn: () => tf.Tensor | tf.Tensor[] | void | Promise<tf.Tensor | tf.Tensor[] | void>,
  { warmup = 1, reps = 5 }: { warmup?: number; reps?: number } = {},
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const t0 = performance.now();
    const out = await fn();
    const list = out === undefined ? [] : Array.isArray(out) ? out : [out];
    for (const t of list) await t.data();
    const t1 = performance.now();
    for (const t of list) t.dispose();
    if (i >= warmup) times.push(t1 - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Formats rows as a Markdown table (pasteable into docs/benchmarks.md). */
export function formatTable(rows: BenchRow[]): string {
  const f = (ms?: number) =>
    ms === undefined ? '' : ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3);
  const lines = ['| section | benchmark | reference ms | fast ms | speed-up | notes |', '|---|---|---:|---:|---:|---|'];
  for (const r of rows) {
    const ratio = r.referenceMs === undefined ? '' : `${(r.referenceMs / r.fastMs).toFixed(1)}x`;
    lines.push(`| ${r.section} | ${r.name} | ${f(r.referenceMs)} | ${f(r.fastMs)} | ${ratio} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

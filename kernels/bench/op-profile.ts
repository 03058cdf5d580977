/**
 * Where a small step's time goes: the kernels it dispatches (tf.profile) and the sum of its matmul
 * kernels' times against the whole step. A step far above its matmuls is bound by per-op
 * overhead (dispatch, allocation, small elementwise kernels), not by arithmetic.
 */
import * as tf from '@tensorflow/tfjs';

/** The kernels of one profiled call. */
export interface OpProfile {
  /** Kernels dispatched. */
  kernels: number;
  /** Kernel count per kernel name, most frequent first. */
  byName: [string, number][];
  /** Summed kernel time per kernel name, ms, longest first. */
  msByName: [string, number][];
  /** Summed kernel time of the matmul kernels (BatchMatMul, _FusedMatMul), ms. */
  matmulMs: number;
  /** Summed kernel time of every kernel, ms. */
  kernelMs: number;
}

const MATMULS = new Set(['BatchMatMul', '_FusedMatMul']);

/** Profiles one call of `fn` (its returned tensors are read back and disposed). */
export async function profileOps(fn: () => Promise<tf.Tensor[]> | tf.Tensor[]): Promise<OpProfile> {
  let out: tf.Tensor[] = [];
  const info = await tf.profile(async () => {
    out = await fn();
    for (const t of out) await t.data();
  });
  for (const t of out) if (!t.isDisposed) t.dispose();
  const counts = new Map<string, number>();
  const times = new Map<string, number>();
  let matmulMs = 0;
  let kernelMs = 0;
  for (const k of info.kernels) {
    counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernelMs += ms;
    times.set(k.name, (times.get(k.name) ?? 0) + ms);
    if (MATMULS.has(k.name)) matmulMs += ms;
  }
  return {
    kernels: info.kernels.length,
    byName: [...counts.entries()].sort((a, b) => b[1] - a[1]),
    msByName: [...times.entries()].sort((a, b) => b[1] - a[1]),
    matmulMs,
    kernelMs,
  };
}

/** "212 kernels (Mul 30, Add 22, ...); matmuls 1.2 of 9.8 ms kernel time". */
export function describeProfile(p: OpProfile, top = 6): string {
  const names = p.byName
    .slice(0, top)
    .map(([n, c]) => `${n} ${c}`)
    .join(', ');
  return `${p.kernels} kernels (${names}); matmuls ${p.matmulMs.toFixed(1)} of ${p.kernelMs.toFixed(1)} ms kernel time`;
}

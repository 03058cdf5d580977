/**
 * Data benchmarks: how fast the sources feed an SAE trainer (rows per second), so a slow
 * input pipeline is not mistaken for a slow model. Plain JS; the backend does not matter.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../src/core/random';
import { float16ToFloat32 } from '../src/core/safetensors';
import { ActivationBuffer } from '../src/data/buffer';
import { halfTable } from '../src/data/row-file';
import { NpyWriter, openNpy } from '../src/data/npy';
import { ArraySource } from '../src/data/source';
import { HierarchicalData, SuperpositionData } from '../src/data/synthetic';
import { type BenchRow, timeIt } from '../kernels/bench/harness';

const MiB = 1024 * 1024;

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-bench-'));
  try {
    // A 64 MiB float32 file and its float16 copy: 32768 rows of d = 512.
    const n = 32768;
    const d = 512;
    const rng = new Rng(0);
    for (const dtype of ['float32', 'float16'] as const) {
      const file = path.join(dir, `${dtype}.npy`);
      const w = new NpyWriter(file, d, dtype);
      for (let i = 0; i < n; i += 4096) w.append(Float32Array.from({ length: 4096 * d }, () => rng.normal()));
      w.close();
      const src = openNpy(file, { windowBytes: 4 * MiB });
      const ms = await timeIt(
        () => {
          src.nextBatch(n);
        },
        { warmup: 1, reps: 3 },
      );
      const mb = (n * d * (dtype === 'float32' ? 4 : 2)) / MiB;
      rows.push({
        section: 'data',
        name: `.npy ${dtype} read, ${n} x ${d}, 4 MiB window`,
        fastMs: ms,
        note: `${(mb / (ms / 1000)).toFixed(0)} MiB/s, ${(n / (ms / 1000) / 1e6).toFixed(2)} M rows/s`,
      });
      src.close();
    }
    // Decoding float16: one float16ToFloat32 call per value (reference) vs the 65536-entry table.
    const halfBits = Uint16Array.from({ length: 4 * MiB }, () => rng.int(0x7c00)); // finite positive halves
    const decoded = new Float32Array(halfBits.length);
    const refMs = await timeIt(
      () => {
        for (let i = 0; i < halfBits.length; i++) decoded[i] = float16ToFloat32(halfBits[i]);
      },
      { warmup: 1, reps: 3 },
    );
    const table = halfTable();
    const fastMs = await timeIt(
      () => {
        for (let i = 0; i < halfBits.length; i++) decoded[i] = table[halfBits[i]];
      },
      { warmup: 1, reps: 3 },
    );
    rows.push({
      section: 'data',
      name: 'float16 decode, 4 Mi values',
      referenceMs: refMs,
      fastMs,
      note: 'float16ToFloat32 per value vs lookup table (row-file.ts)',
    });
    // The mixing buffer: drawing batches of 4096 rows of d = 512 from a 65536-row buffer fed from memory.
    const source = new ArraySource(
      Float32Array.from({ length: 65536 * d }, () => rng.normal()),
      d,
    );
    const buf = new ActivationBuffer({ source, capacity: 65536, seed: 2 });
    buf.refill();
    const bufMs = await timeIt(
      () => {
        buf.nextBatch(4096);
      },
      { warmup: 1, reps: 5 },
    );
    rows.push({
      section: 'data',
      name: 'buffer draw 4096 x 512 (shuffled, capacity 65536)',
      fastMs: bufMs,
      note: `${(4096 / (bufMs / 1000) / 1e6).toFixed(2)} M rows/s (refill time included when due)`,
    });
    // Synthetic generators at SAE-training batch sizes.
    const sup = new SuperpositionData({ numFeatures: 4096, dim: 512, probability: 0.005, seed: 3 });
    const supMs = await timeIt(
      () => {
        sup.nextBatch(1024);
      },
      { warmup: 1, reps: 3 },
    );
    rows.push({
      section: 'data',
      name: 'superposition sample m=4096 d=512 p=0.005, B=1024',
      fastMs: supMs,
      note: `${(1024 / (supMs / 1000) / 1e3).toFixed(0)} k rows/s`,
    });
    const hier = new HierarchicalData({ seed: 4 });
    const hierMs = await timeIt(
      () => {
        hier.nextBatch(4096);
      },
      { warmup: 1, reps: 5 },
    );
    rows.push({
      section: 'data',
      name: 'hierarchical toy sample (m=20, d=20), B=4096',
      fastMs: hierMs,
      note: `${(4096 / (hierMs / 1000) / 1e6).toFixed(2)} M rows/s`,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

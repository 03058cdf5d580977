/**
 * Core benchmarks: the raw matmul rate of the active backend, and an MLP training step
 * with tfjs's own wasm matmul kernels vs the explicit-transpose fix (kernels/wasm-patches/matmul.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, Params, Rng, init, installFastWasmMatMul, uninstallFastWasmMatMul } from '../src';
import { PER_ITEM_MIN_MACS } from '../kernels/wasm-patches/matmul';
import { setUseKernels } from '../kernels';
import { type BenchRow, timeIt } from '../kernels/bench/harness';

/** One Adam step of a 784-512-512-10 ReLU MLP classifier on a batch of 256 (softmax cross-entropy). */
function mlpStep(): { step: () => tf.Scalar; dispose: () => void } {
  const rng = new Rng(0);
  const params = new Params('bench-mlp');
  const sizes = [784, 512, 512, 10];
  for (let i = 0; i < 3; i++) {
    params.add(`W${i}`, init.kaimingUniform(rng, [sizes[i], sizes[i + 1]]));
    params.add(`b${i}`, init.zeros([sizes[i + 1]]));
  }
  const x = rng.randomUniform([256, 784]);
  const labels = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 256 }, () => rng.int(10)),
      'int32',
    ),
    10,
  );
  const adam = new Adam(params.trainable(), { lr: 1e-3 });
  const loss = () =>
    tf.tidy(() => {
      let h: tf.Tensor = x;
      for (let i = 0; i < 3; i++) {
        h = h.matMul(params.get(`W${i}`)).add(params.get(`b${i}`));
        if (i < 2) h = tf.relu(h);
      }
      return tf.losses.softmaxCrossEntropy(labels, h) as tf.Scalar;
    });
  return {
    step: () => {
      const { loss: value, grads } = params.gradients(loss);
      adam.step(grads);
      tf.dispose(grads);
      return value;
    },
    dispose: () => {
      params.dispose();
      adam.dispose();
      tf.dispose([x, labels]);
    },
  };
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = new Rng(1);
  const a = rng.randomNormal([512, 256]);
  const b = rng.randomNormal([256, 2048]);
  const flops = 2 * 512 * 256 * 2048;
  const ms = await timeIt(() => tf.matMul(a, b), { warmup: 2, reps: 10 });
  rows.push({
    section: 'core',
    name: 'matmul 512x256 @ 256x2048',
    fastMs: ms,
    note: `${(flops / ms / 1e6).toFixed(1)} GFLOP/s`,
  });
  const bT = b.transpose();
  const msT = await timeIt(() => tf.matMul(a, bT, false, true), { warmup: 1, reps: 5 });
  rows.push({
    section: 'core',
    name: 'matmul, B passed transposed (transposeB)',
    fastMs: msT,
    note: `${(flops / msT / 1e6).toFixed(1)} GFLOP/s`,
  });
  tf.dispose([a, b, bT]);

  // Adam over an SAE's parameters (d=512, n=8192: W_enc and W_dec, 8.4M floats): composite vs one pass.
  const params = {
    W_enc: tf.variable(rng.randomNormal([512, 8192])),
    W_dec: tf.variable(rng.randomNormal([8192, 512])),
  };
  const grads = { W_enc: rng.randomNormal([512, 8192]), W_dec: rng.randomNormal([8192, 512]) };
  const adam = new Adam(params, { lr: 1e-4 });
  const adamStep = () => {
    adam.step(grads);
    return params.W_dec.sum();
  };
  setUseKernels(false);
  const adamRef = await timeIt(adamStep, { warmup: 1, reps: 5 });
  setUseKernels(true);
  const adamFast = await timeIt(adamStep, { warmup: 1, reps: 5 });
  const bytes = 2 * 512 * 8192 * 4 * 7; // 8.4M floats: read p, m, v, g; write p, m, v
  rows.push({
    section: 'core',
    name: 'Adam step, 8.4M parameters (composite -> one-pass kernel)',
    referenceMs: adamRef,
    fastMs: adamFast,
    note: `${(bytes / adamFast / 1e6).toFixed(1)} GB/s effective`,
  });
  adam.dispose();
  tf.dispose([params.W_enc, params.W_dec, grads.W_enc, grads.W_dec]);

  const mlp = mlpStep();
  if (tf.getBackend() === 'wasm') {
    uninstallFastWasmMatMul();
    const before = await timeIt(mlp.step, { warmup: 1, reps: 5 });
    installFastWasmMatMul();
    const after = await timeIt(mlp.step, { warmup: 1, reps: 5 });
    rows.push({
      section: 'core',
      name: 'MLP train step 784-512-512-10, B=256 (tfjs wasm matmul -> explicit transpose)',
      referenceMs: before,
      fastMs: after,
      note: `${((256 / after) * 1000).toFixed(0)} examples/s after`,
    });
  } else {
    const t = await timeIt(mlp.step, { warmup: 1, reps: 5 });
    rows.push({
      section: 'core',
      name: 'MLP train step 784-512-512-10, B=256',
      fastMs: t,
      note: `${((256 / t) * 1000).toFixed(0)} examples/s`,
    });
  }
  mlp.dispose();
  if (tf.getBackend() === 'wasm') rows.push(...(await batchedMatMulRows()));
  return rows;
}

/**
 * A batch of matrix pairs on wasm: one XNNPACK call per pair (the reference here) against the
 * installed kernel, which runs pairs below `PER_ITEM_MIN_MACS` multiply-adds as one SIMD loop
 * (kernels/wasm-patches/small-matmul.ts).
 * Sizes: attention scores of the char LM (32 heads x windows of [64,32] x [32,64]) and a stack item of
 * 4 SAEs at d=64 n=256 B=256 (above the threshold: both columns run the same path).
 * Timed alternately, many repetitions, so a loaded machine distorts both alike.
 */
export async function batchedMatMulRows(): Promise<BenchRow[]> {
  const rng = new Rng(3);
  const cases: [string, number[], number[]][] = [
    ['attention scores', [32, 64, 32], [32, 32, 64]],
    ['SAE stack of 4 encoders', [4, 256, 64], [4, 64, 256]],
  ];
  const rows: BenchRow[] = [];
  for (const [label, sa, sb] of cases) {
    const a = rng.randomNormal(sa);
    const b = rng.randomNormal(sb);
    const run = () => tf.matMul(a, b);
    const perPair: number[] = [];
    const installed: number[] = [];
    for (let rep = 0; rep < 9; rep++) {
      uninstallFastWasmMatMul();
      installFastWasmMatMul({ perItemMinMacs: 0 });
      perPair.push(await timeIt(run, { warmup: rep === 0 ? 1 : 0, reps: 3 }));
      uninstallFastWasmMatMul();
      installFastWasmMatMul();
      installed.push(await timeIt(run, { warmup: rep === 0 ? 1 : 0, reps: 3 }));
    }
    tf.dispose([a, b]);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    const macs = sa[1] * sa[2] * sb[2];
    rows.push({
      section: 'core',
      name: `batched matmul ${JSON.stringify(sa)} x ${JSON.stringify(sb)}, ${label} (reference: one XNNPACK call per pair)`,
      referenceMs: median(perPair),
      fastMs: median(installed),
      note: `${macs} multiply-adds per pair; ${macs >= PER_ITEM_MIN_MACS ? 'per pair' : 'one SIMD loop for the batch'} when installed`,
    });
  }
  return rows;
}

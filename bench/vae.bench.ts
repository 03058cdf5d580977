/**
 * VAE benchmarks: one training step of the 784-512-20 Bernoulli MLP VAE at batch 128 (forward,
 * backward, Adam), on the active backend; on wasm also the same step with tfjs's own matmul
 * kernels (transposed matmuls on the slow loop) against the explicit-transpose fix; a step of
 * the conv variant; the fused sampling kernel against the composite reparameterization; and an
 * IWAE evaluation.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, fastWasmMatMulInstalled, installFastWasmMatMul, uninstallFastWasmMatMul } from '../src';
import { Vae, type VaeConfig, VaeTrainer, iwaeBound, sampleLatent } from '../src/vae';
import { type BenchRow, timeIt } from '../kernels/bench/harness';
import { describeProfile, profileOps } from '../kernels/bench/op-profile';

const B = 128;

/** A trainer on random [0, 1] "images" (the step's cost does not depend on the pixel values). */
function makeTrainer(config: Partial<VaeConfig> = {}): { trainer: VaeTrainer; model: Vae } {
  const rng = new Rng(0);
  const n = 1024;
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const model = new Vae({ inputDim: 784, latentDim: 20, hidden: [512], ...config }, rng.fork());
  const trainer = new VaeTrainer(model, { x, n, dim: 784 }, { batchSize: B, binarize: 'dynamic' });
  return { trainer, model };
}

export default async function (): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let step = 0;
  const { trainer, model } = makeTrainer();
  const timeStep = (t: VaeTrainer) =>
    timeIt(
      () => {
        const r = t.step(step++);
        tf.dispose([r.negElbo, r.kl]);
        return r.loss;
      },
      { warmup: 3, reps: 15 },
    );

  const fast = await timeStep(trainer);
  const ops = await profileOps(() => {
    const r = trainer.step(step++);
    return [r.loss, r.negElbo, r.kl];
  });
  const backend = tf.getBackend();
  let reference: number | undefined;
  let note = `${((B / fast) * 1000).toFixed(0)} examples/s; ${describeProfile(ops, 3)}`;
  if (backend === 'wasm' && fastWasmMatMulInstalled()) {
    uninstallFastWasmMatMul();
    try {
      reference = await timeStep(trainer);
    } finally {
      installFastWasmMatMul();
    }
    note += `; reference = tfjs's own wasm matmuls (${((B / reference) * 1000).toFixed(0)} examples/s)`;
  }
  rows.push({
    section: 'vae',
    name: `VAE train step 784-512-20, B=${B} (${backend})`,
    referenceMs: reference,
    fastMs: fast,
    note,
    compareKey: 'vae',
  });

  const conv = makeTrainer({ arch: 'conv', hidden: [256], convChannels: [16, 32] });
  const convMs = await timeStep(conv.trainer);
  rows.push({
    section: 'vae',
    name: `conv VAE train step (3x3 s2 convs 16/32 ch, dense 256, z=20), B=${B}`,
    fastMs: convMs,
    note: `${((B / convMs) * 1000).toFixed(0)} examples/s; im2col convs (wasm has no Conv2DBackpropFilter)`,
  });
  conv.trainer.dispose();
  conv.model.dispose();

  const mu = tf.randomNormal([B, 20], 0, 1, 'float32', 1) as tf.Tensor2D;
  const lv = tf.randomNormal([B, 20], 0, 1, 'float32', 2) as tf.Tensor2D;
  const sampleFused = await timeIt(() => sampleLatent(mu, lv, { seed: 1, step: step++ }), { warmup: 3, reps: 30 });
  const sampleComposite = await timeIt(() => sampleLatent(mu, lv, { seed: 1, step: step++ }, false), {
    warmup: 3,
    reps: 30,
  });
  rows.push({
    section: 'vae',
    name: `sample z = mu + sigma eps, [${B}, 20]`,
    referenceMs: sampleComposite,
    fastMs: sampleFused,
    note: 'composite vs fused kernel',
  });
  tf.dispose([mu, lv]);

  const x = tf.randomUniform([100, 784], 0, 1, 'float32', 3).round() as tf.Tensor2D;
  const k = 100;
  const iwaeMs = await timeIt(() => iwaeBound(model, x, k, { seed: 2, step: step++ }), { warmup: 1, reps: 3 });
  rows.push({
    section: 'vae',
    name: `IWAE bound, K=${k}, 100 images`,
    fastMs: iwaeMs,
    note: `${(((100 * k) / iwaeMs) * 1000).toFixed(0)} decoded samples/s`,
  });
  x.dispose();
  trainer.dispose();
  model.dispose();
  return rows;
}

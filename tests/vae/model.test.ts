import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import { Vae, VaeTrainer, conv3x3, elbo, resolveVaeConfig, upsample2x } from '../../src/vae';
import { leakedBy } from './helpers';

describe('VAE model', () => {
  test('MLP and conv variants map [B, 784] to [B, Z] and back', async () => {
    for (const arch of ['mlp', 'conv'] as const) {
      const model = new Vae({ arch, latentDim: 5, hidden: [16] }, new Rng(1));
      const x = tf.randomUniform([3, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
      const { muBZ, logVarBZ } = model.encode(x);
      expect(muBZ.shape).toEqual([3, 5]);
      expect(logVarBZ.shape).toEqual([3, 5]);
      const out = model.decode(muBZ);
      expect(out.shape).toEqual([3, 784]);
      const mean = await model.decodeMean(muBZ).data();
      expect(Math.min(...mean)).toBeGreaterThanOrEqual(0); // Bernoulli: sigmoid probabilities
      expect(Math.max(...mean)).toBeLessThanOrEqual(1);
      tf.dispose([x, muBZ, logVarBZ, out]);
      model.dispose();
    }
  });

  test('conv3x3 (im2col + matmul) equals tf.conv2d with "same" padding at strides 1 and 2', async () => {
    for (const stride of [1, 2] as const) {
      const x = tf.randomNormal([2, 8, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2);
      const b = tf.randomNormal([5], 0, 1, 'float32', 3);
      const mine = conv3x3(x, w, b, stride);
      const ref = tf.conv2d(x, w as tf.Tensor4D, stride, 'same').add(b);
      expect(mine.shape).toEqual(ref.shape);
      const diff = (await tf.max(tf.abs(mine.sub(ref))).data())[0];
      expect(diff).toBeLessThan(1e-4);
      tf.dispose([x, w, b, mine, ref]);
    }
    // upsample2x: output pixel (2y + i, 2x + j, c) is channel (i, j, c) of the stride-1 conv at (y, x)
    const x = tf.randomNormal([1, 3, 4, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 2, 4 * 3], 0, 1, 'float32', 5);
    const b = tf.zeros([12]);
    const up = (await upsample2x(x, w, b).array()) as number[][][][];
    const conv = (await conv3x3(x, w, b, 1).array()) as number[][][][];
    expect([up.length, up[0].length, up[0][0].length, up[0][0][0].length]).toEqual([1, 6, 8, 3]);
    expect(up[0][2 * 1 + 1][2 * 2 + 0][2]).toBeCloseTo(conv[0][1][2][(1 * 2 + 0) * 3 + 2], 5);
    tf.dispose([x, w, b]);
  });

  test('the same seed gives the same weights, another seed others', async () => {
    const a = new Vae({ inputDim: 6, latentDim: 2, hidden: [4] }, new Rng(7));
    const b = new Vae({ inputDim: 6, latentDim: 2, hidden: [4] }, new Rng(7));
    const c = new Vae({ inputDim: 6, latentDim: 2, hidden: [4] }, new Rng(8));
    const w = async (m: Vae) => Array.from(await m.params.get('enc.dense0.W').data());
    expect(await w(a)).toEqual(await w(b));
    expect(await w(a)).not.toEqual(await w(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  test('bad configuration throws a ConfigError naming the field', () => {
    expect(() => resolveVaeConfig({ latentDim: 0 })).toThrow(/^latentDim: must be an integer in \[1, 4096\], got 0/);
    expect(() => resolveVaeConfig({ hidden: [64, 0] })).toThrow(/^hidden\[1\]/);
    expect(() => resolveVaeConfig({ likelihood: 'poisson' as never })).toThrow(
      /^likelihood: must be one of 'bernoulli', 'gaussian'/,
    );
    expect(() => resolveVaeConfig({ activation: 'swish' as never })).toThrow(/^activation/);
    expect(() => resolveVaeConfig({ sigma: 0, likelihood: 'gaussian' })).toThrow(/^sigma/);
    expect(() => resolveVaeConfig({ arch: 'conv', inputDim: 100 })).toThrow(
      /^inputDim: the 'conv' architecture takes 28x28 images/,
    );
  });

  test('images of the wrong size and latents of the wrong width are rejected, naming the argument', () => {
    const model = new Vae({ latentDim: 3, hidden: [8] }, new Rng(3));
    const x = tf.zeros([2, 28 * 27]) as tf.Tensor2D;
    expect(() => model.encode(x)).toThrow(/^x: expected shape \[\*, 784\], got \[2, 756\]/);
    const z = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => model.decode(z)).toThrow(/^z: expected shape \[\*, 3\]/);
    tf.dispose([x, z]);
    model.dispose();
  });

  test('the trainer rejects negative beta, NaN data and a data width that does not match', () => {
    const model = new Vae({ inputDim: 4, latentDim: 2, hidden: [8] }, new Rng(4));
    const good = { x: new Float32Array(40).fill(0.5), n: 10, dim: 4 };
    expect(() => new VaeTrainer(model, good, { beta: -0.5 })).toThrow(
      /^beta: must be a number in \[0, Infinity\], got -0.5/,
    );
    expect(() => new VaeTrainer(model, good, { klWarmupSteps: -1 })).toThrow(/^klWarmupSteps/);
    expect(() => new VaeTrainer(model, good, { batchSize: 0 })).toThrow(/^batchSize/);
    const nan = { x: new Float32Array(40).fill(0.5), n: 10, dim: 4 };
    nan.x[13] = NaN;
    expect(() => new VaeTrainer(model, nan)).toThrow(/^data\.x: must be finite, found NaN at row 3, column 1/);
    expect(() => new VaeTrainer(model, { x: new Float32Array(30), n: 10, dim: 3 })).toThrow(/^data\.dim/);
    model.dispose();
  });

  test('a conv VAE training step runs, lowers nothing to NaN and leaks no tensors', async () => {
    const model = new Vae({ arch: 'conv', latentDim: 4, hidden: [32], convChannels: [4, 8] }, new Rng(5));
    const data = { x: new Float32Array(16 * 784).map((_, i) => (i % 7) / 7), n: 16, dim: 784 };
    const trainer = new VaeTrainer(model, data, { batchSize: 8, steps: 3 });
    const run = async () => {
      const r = trainer.step(0);
      const v = (await r.loss.data())[0];
      tf.dispose([r.loss, r.negElbo, r.kl]);
      expect(Number.isFinite(v)).toBe(true);
    };
    await run();
    expect(
      await leakedBy(async () => {
        for (let i = 0; i < 3; i++) await run();
      }),
    ).toBe(0);
    const x = tf.tensor2d(data.x.slice(0, 2 * 784), [2, 784]);
    const r = elbo(model, x, { seed: 0, step: 0 });
    expect(r.elboB.shape).toEqual([2]);
    tf.dispose([x, r.elboB, r.logLikB, r.klB, r.loss]);
    trainer.dispose();
    model.dispose();
  });
});

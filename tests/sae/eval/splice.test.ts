import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError } from '../../../src/base/errors';
import { Rng } from '../../../src/core/random';
import { evaluateCharLm } from '../../../src/data/lm/char-lm';
import { createSae } from '../../../src/sae/create';
import { decoderDirections, latentRowsOf } from '../../../src/sae/eval/latent-rows';
import { ReconstructionStats } from '../../../src/sae/eval/reconstruction';
import { meanResidual, spliceEvaluate, spliceWindows, windowIds } from '../../../src/sae/eval/splice';
import { TINY_LM, logSoftmaxRow, losslessSae, randomTokens, tinyLm } from './helpers';

const T = TINY_LM.contextLength;
const D = TINY_LM.dModel;
const V = TINY_LM.vocabSize;

describe('CharLm.logitsFromResidual (the splice hook)', () => {
  test('running the remaining blocks from any layer gives the model logits', async () => {
    const model = tinyLm();
    const ids = tf.tensor2d(randomTokens(new Rng(1), 3 * T), [3, T], 'int32');
    const want = await tf.tidy(() => model.logits(ids)).array();
    for (let layer = 0; layer <= TINY_LM.nLayers; layer++) {
      const got = tf.tidy(() => model.logitsFromResidual(model.residualStream(ids, layer), layer));
      const diff = tf.tidy(() => got.sub(tf.tensor(want)).abs().max());
      expect((await diff.data())[0]).toBeLessThan(1e-4);
      tf.dispose([got, diff]);
    }
    ids.dispose();
    model.dispose();
  });

  test('a zeroed last-layer stream gives the constant logits b_f W_te^T (closed form)', async () => {
    const model = tinyLm();
    const got = tf.tidy(() => model.logitsFromResidual(tf.zeros([1, 2, D]) as tf.Tensor3D, TINY_LM.nLayers));
    const b = await model.params.get('lnf.b').data();
    const wte = await model.params.get('wte').data();
    const logits = await got.data();
    for (let t = 0; t < 2; t++)
      for (let v = 0; v < V; v++) {
        let want = 0;
        for (let j = 0; j < D; j++) want += b[j] * wte[v * D + j];
        expect(logits[t * V + v]).toBeCloseTo(want, 4);
      }
    got.dispose();
    model.dispose();
  });

  test('a bad layer throws a ConfigError, a bad width an InputError', () => {
    const model = tinyLm();
    const r = tf.zeros([1, 2, D]) as tf.Tensor3D;
    expect(() => model.logitsFromResidual(r, 3)).toThrow(ConfigError);
    const wrong = tf.zeros([1, 2, D + 1]) as tf.Tensor3D;
    expect(() => model.logitsFromResidual(wrong, 1)).toThrow(InputError);
    tf.dispose([r, wrong]);
    model.dispose();
  });
});

describe('ReconstructionStats against a two-pass naive loop', () => {
  test('pooled explained variance, cosine, L2 ratio, bias, L0, L1, alive over uneven batches', async () => {
    const rng = new Rng(3);
    const Dm = 5;
    const N = 7;
    const M = 23;
    const x = Float32Array.from({ length: M * Dm }, (_, i) => 2 * rng.normal() + (i % Dm)); // nonzero mean
    const xhat = Float32Array.from(x, (v) => 0.8 * v + 0.3 * rng.normal());
    const f = Float32Array.from({ length: M * N }, () => (rng.uniform() < 0.3 ? rng.uniform() * 2 : 0));
    f.fill(0, 0, 0);
    for (let b = 0; b < M; b++) f[b * N + 6] = 0; // latent 6 never fires
    const stats = new ReconstructionStats(Dm, N);
    for (const [s, e] of [
      [0, 4],
      [4, 5],
      [5, 23],
    ]) {
      const latents = { kind: 'dense' as const, denseBN: tf.tensor2d(f.slice(s * N, e * N), [e - s, N]) };
      stats.add(x.slice(s * Dm, e * Dm), xhat.slice(s * Dm, e * Dm), await latentRowsOf(latents, N));
      latents.denseBN.dispose();
    }
    const r = stats.result();
    const mean = Array.from({ length: Dm }, (_, j) => {
      let s = 0;
      for (let b = 0; b < M; b++) s += x[b * Dm + j];
      return s / M;
    });
    let err = 0;
    let tot = 0;
    let cos = 0;
    let ratio = 0;
    let hh = 0;
    let xh = 0;
    let l0 = 0;
    let l1 = 0;
    const alive = new Set<number>();
    for (let b = 0; b < M; b++) {
      let nx = 0;
      let nh = 0;
      let dot = 0;
      for (let j = 0; j < Dm; j++) {
        const a = x[b * Dm + j];
        const h = xhat[b * Dm + j];
        err += (a - h) ** 2;
        tot += (a - mean[j]) ** 2;
        nx += a * a;
        nh += h * h;
        dot += a * h;
      }
      cos += dot / Math.sqrt(nx * nh);
      ratio += Math.sqrt(nh / nx);
      hh += nh;
      xh += dot;
      for (let i = 0; i < N; i++)
        if (f[b * N + i] > 0) {
          l0++;
          l1 += f[b * N + i];
          alive.add(i);
        }
    }
    expect(r.inputs).toBe(M);
    expect(r.explainedVariance).toBeCloseTo(1 - err / tot, 6);
    expect(r.mse).toBeCloseTo(err / (M * Dm), 6);
    expect(r.cosine).toBeCloseTo(cos / M, 6);
    expect(r.l2Ratio).toBeCloseTo(ratio / M, 6);
    expect(r.relativeReconstructionBias).toBeCloseTo(hh / xh, 6);
    expect(r.l0).toBeCloseTo(l0 / M, 10);
    expect(r.l1).toBeCloseTo(l1 / M, 5);
    expect(r.fractionAlive).toBeCloseTo(alive.size / N, 10);
  });
});

describe('spliceEvaluate on a tiny random char model', () => {
  test('clean loss equals evaluateCharLm; the loss and KL of every variant match a per-window naive loop', async () => {
    const model = tinyLm();
    const tokens = randomTokens(new Rng(7), 6 * T + 3);
    const sae = createSae({ architecture: 'topk', dIn: D, nLatents: 24, k: 3, seed: 2 });
    tf.tidy(() => sae.params.get('b_enc').assign(tf.fill([24], 0.05)));
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const result = await spliceEvaluate(model, sae, tokens, {
      layer: 1,
      maxChars: 100,
      batchWindows: 4,
      onProgress: (done) => progress.push(done),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual([4, 6]);
    const s = result.splice;
    expect(s.chars).toBe(6 * T);
    expect(s.cleanLoss).toBeCloseTo(await evaluateCharLm(model, tokens, { maxTokens: 100 }), 5);

    // Naive: one window at a time, logits read back, CE and KL by JS loops in float64.
    const starts = spliceWindows(tokens, T, 100);
    const resid: number[][] = [];
    for (const st of starts) {
      const r = tf.tidy(() => model.residualStream(tf.tensor2d(windowIds(tokens, [st], T, 0), [1, T], 'int32'), 1));
      const rows = (await r.reshape([T, D]).array()) as number[][];
      resid.push(...rows);
      r.dispose();
    }
    const mean = Array.from({ length: D }, (_, j) => resid.reduce((a, row) => a + row[j], 0) / resid.length);
    const sums = { clean: 0, spliced: 0, zero: 0, mean: 0, klS: 0, klZ: 0, klM: 0 };
    for (let w = 0; w < starts.length; w++) {
      const rows = resid.slice(w * T, (w + 1) * T);
      const x = tf.tensor2d(rows);
      const out = sae.forward(x);
      const variants = [
        rows,
        (await out.recon.array()) as number[][],
        rows.map(() => new Array(D).fill(0)),
        rows.map(() => mean),
      ];
      const logp: number[][][] = [];
      for (const v of variants) {
        const l = tf.tidy(() => model.logitsFromResidual(tf.tensor3d([v]), 1));
        logp.push(((await l.array()) as number[][][])[0].map(logSoftmaxRow));
        l.dispose();
      }
      for (const t of Object.values(out.losses)) t.dispose();
      tf.dispose([x, out.recon, out.loss, ...Object.values(out.latents).filter((v) => v instanceof tf.Tensor)]);
      for (let t = 0; t < T; t++) {
        const target = tokens[starts[w] + t + 1];
        sums.clean -= logp[0][t][target];
        sums.spliced -= logp[1][t][target];
        sums.zero -= logp[2][t][target];
        sums.mean -= logp[3][t][target];
        const kl = (k: number) => logp[0][t].reduce((a, lp, v) => a + Math.exp(lp) * (lp - logp[k][t][v]), 0);
        sums.klS += kl(1);
        sums.klZ += kl(2);
        sums.klM += kl(3);
      }
    }
    const P = starts.length * T;
    expect(s.cleanLoss).toBeCloseTo(sums.clean / P, 4);
    expect(s.splicedLoss).toBeCloseTo(sums.spliced / P, 4);
    expect(s.zeroAblatedLoss).toBeCloseTo(sums.zero / P, 4);
    expect(s.meanAblatedLoss).toBeCloseTo(sums.mean / P, 4);
    expect(s.klSpliced).toBeCloseTo(sums.klS / P, 4);
    expect(s.klZeroAblated).toBeCloseTo(sums.klZ / P, 4);
    expect(s.klMeanAblated).toBeCloseTo(sums.klM / P, 4);
    expect(s.lossRecovered).toBeCloseTo((sums.zero - sums.spliced) / (sums.zero - sums.clean), 3);
    expect(s.klScore).toBeCloseTo((sums.klZ - sums.klS) / sums.klZ, 3);
    expect(result.reconstruction.inputs).toBe(P);
    expect(result.reconstruction.l0).toBeLessThanOrEqual(3);
    expect(result.density).toHaveLength(24);
    const meanFromPass = await meanResidual(model, tokens, starts, 1, 4);
    meanFromPass.forEach((m, j) => expect(m).toBeCloseTo(mean[j], 4));
    sae.dispose();
    model.dispose();
  });

  test('a lossless SAE recovers all the loss: spliced = clean, KL 0, explained variance 1', async () => {
    const model = tinyLm();
    const sae = losslessSae(D);
    const tokens = randomTokens(new Rng(9), 4 * T + 1);
    const { splice, reconstruction } = await spliceEvaluate(model, sae, tokens, { layer: 1, batchWindows: 3 });
    expect(splice.splicedLoss).toBeCloseTo(splice.cleanLoss, 5);
    expect(splice.klSpliced).toBeLessThan(1e-5);
    expect(splice.lossRecovered).toBeCloseTo(1, 4);
    expect(splice.klScore).toBeCloseTo(1, 4);
    expect(reconstruction.explainedVariance).toBeCloseTo(1, 5);
    expect(reconstruction.cosine).toBeCloseTo(1, 5);
    expect(reconstruction.l2Ratio).toBeCloseTo(1, 5);
    expect(reconstruction.relativeReconstructionBias).toBeCloseTo(1, 5);
    sae.dispose();
    model.dispose();
  });

  test('decoderDirections are the decoder rows in input units', async () => {
    const sae = createSae({ architecture: 'topk', dIn: 6, nLatents: 10, k: 2, seed: 4 });
    const dirs = await decoderDirections(sae, 3);
    const w = await sae.wDecND.data();
    dirs.forEach((v, i) => expect(v).toBeCloseTo(w[i], 5));
    sae.dispose();
  });

  test('bad options throw before anything is allocated', async () => {
    const model = tinyLm();
    const sae = createSae({ architecture: 'topk', dIn: D + 1, nLatents: 8, k: 2 });
    const tokens = randomTokens(new Rng(1), 3 * T);
    const before = tf.memory().numTensors;
    await expect(spliceEvaluate(model, sae, tokens, { layer: 1 })).rejects.toThrow(ConfigError);
    await expect(spliceEvaluate(model, sae, tokens, { layer: 5 })).rejects.toThrow(ConfigError);
    expect(tf.memory().numTensors).toBe(before);
    sae.dispose();
    model.dispose();
  });
});

/**
 * The shared contract: tied init, unit-norm decoder rows through training steps, the radial
 * gradient projection, the geometric median, input normalisation folded into the weights,
 * the Matryoshka model loss, and config errors that name the argument.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';
import { createSae, type SaeConfig } from '../../src/sae/create';
import { disposeOutput } from '../../src/sae/base';
import { geometricMedian, removeParallelGrad } from '../../src/sae/geometry';
import type { MatryoshkaSae } from '../../src/sae/matryoshka';
import { SaeTrainer } from '../../src/sae/trainer';
import { SuperpositionData } from '../../src/data/synthetic';
import { allPrefixLossNaive, maxAbsDiff, randn, relErr, rowsOf } from './helpers';

test('tied init gives W_enc = W_dec^T exactly, with unit decoder rows', async () => {
  const sae = createSae({ architecture: 'topk', dIn: 12, nLatents: 40, k: 4, seed: 3 });
  const wEnc = (await sae.wEncDN.array()) as number[][];
  const wDec = (await sae.wDecND.array()) as number[][];
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 12; j++) expect(wEnc[j][i]).toBe(wDec[i][j]);
    expect(Math.hypot(...wDec[i])).toBeCloseTo(1, 5);
  }
  const untied = createSae({ architecture: 'topk', dIn: 12, nLatents: 40, k: 4, seed: 3, tiedInit: false });
  expect(maxAbsDiff(await untied.wEncDN.data(), await sae.wEncDN.data())).toBeGreaterThan(0.1);
  sae.dispose();
  untied.dispose();
});

test('removeParallelGrad leaves g_i - (g_i . d_i) d_i, orthogonal to each row', async () => {
  const rng = new Rng(4);
  const N = 5;
  const D = 7;
  const d = rowsOf(randn(rng, N * D), N, D).map((r) => {
    const n = Math.hypot(...r);
    return r.map((v) => v / n);
  });
  const g = rowsOf(randn(rng, N * D), N, D);
  const got = rowsOf(await removeParallelGrad(tf.tensor2d(g), tf.tensor2d(d)).data(), N, D);
  for (let i = 0; i < N; i++) {
    const dot = g[i].reduce((s, v, j) => s + v * d[i][j], 0);
    got[i].forEach((v, j) => expect(v).toBeCloseTo(g[i][j] - dot * d[i][j], 5));
    expect(Math.abs(got[i].reduce((s, v, j) => s + v * d[i][j], 0))).toBeLessThan(1e-5);
  }
});

test('geometric median: the sum of unit vectors towards the points vanishes (Weiszfeld optimality)', async () => {
  const rng = new Rng(6);
  const M = 50;
  const D = 4;
  const pts = randn(rng, M * D);
  for (let i = 0; i < 5 * D; i++) pts[i] += 20; // outliers pull the mean, not the median
  const y = await geometricMedian(tf.tensor2d(pts, [M, D]), 200).data();
  const P = rowsOf(pts, M, D);
  const sum = new Array(D).fill(0);
  for (const p of P) {
    const dist = Math.hypot(...p.map((v, j) => v - y[j]));
    p.forEach((v, j) => {
      sum[j] += (v - y[j]) / dist;
    });
  }
  expect(Math.hypot(...sum)).toBeLessThan(1e-2 * M);
  const mean = Array.from({ length: D }, (_, j) => P.reduce((s, p) => s + p[j], 0) / M);
  expect(Math.hypot(...mean.map((m, j) => m - y[j]))).toBeGreaterThan(0.5);
});

describe.each(['relu-l1', 'topk', 'batch-topk', 'jumprelu', 'matryoshka', 'matryoshka-batch-topk'] as const)(
  '%s',
  (architecture) => {
    test('decoder rows stay unit-norm after training steps, and folding the input scale keeps the function', async () => {
      const src = new SuperpositionData({
        numFeatures: 40,
        dim: 10,
        probability: 0.05,
        seed: 2,
        magnitude: { kind: 'constant', value: 5 },
      });
      // each architecture's own options only (unknown keys are rejected)
      const k = architecture === 'relu-l1' || architecture === 'jumprelu' ? {} : { k: 3 };
      const sae = createSae({ architecture, dIn: 10, nLatents: 32, ...k } as SaeConfig);
      const trainer = new SaeTrainer(sae, src, {
        steps: 5,
        batchSize: 32,
        lr: 1e-2,
        initSamples: 256,
        normalizeInput: true,
      });
      await trainer.train();
      expect(sae.inputScale).not.toBeCloseTo(1, 2);
      const norms = rowsOf(await sae.wDecND.data(), 32, 10).map((r) => Math.hypot(...r));
      for (const n of norms) expect(n).toBeCloseTo(1, 5);
      // Folded weights in input units reproduce the same reconstruction with s = 1.
      const x = tf.tensor2d(src.nextBatch(16), [16, 10]);
      const before = sae.forward(x);
      const copy = createSae({ architecture, dIn: 10, nLatents: 32, ...k } as SaeConfig);
      const folded = sae.foldedWeights();
      copy.loadWeights(folded);
      if (architecture === 'batch-topk' || architecture === 'matryoshka-batch-topk')
        copy.params.assign({ threshold: sae.params.get('threshold') });
      const after = copy.forward(x);
      expect(relErr(await after.recon.data(), await before.recon.data())).toBeLessThan(1e-5);
      disposeOutput(before);
      disposeOutput(after);
      tf.dispose(Object.values(folded));
      x.dispose();
      trainer.dispose();
      sae.dispose();
      copy.dispose();
    });
  },
);

test.each([true, false])(
  'Matryoshka model loss = naive all-prefix loss / (N * batch variance) (useKernels=%s)',
  async (useKernels) => {
    const B = 6;
    const D = 5;
    const N = 24;
    const sae = createSae({
      architecture: 'matryoshka',
      dIn: D,
      nLatents: N,
      k: 4,
      useKernels,
      tiedInit: false,
      seed: 9,
    }) as MatryoshkaSae;
    const rng = new Rng(10);
    tf.tidy(() => sae.params.assign({ b_dec: tf.tensor1d(randn(rng, D, 0.2)) }));
    const x = tf.tensor2d(randn(rng, B * D), [B, D]);
    const out = sae.forward(x);
    if (out.latents.kind !== 'sparse') throw new Error('sparse expected');
    const resid = x.sub(sae.bDecD) as tf.Tensor2D;
    const perInput = await allPrefixLossNaive(
      out.latents.valuesBK,
      out.latents.indicesBK,
      sae.wDecND as tf.Tensor2D,
      resid,
    ).data();
    const naive = Array.from(perInput).reduce((s, v) => s + v, 0);
    const X = rowsOf(await x.data(), B, D);
    const mean = Array.from({ length: D }, (_, j) => X.reduce((s, r) => s + r[j], 0) / B);
    const variance = X.reduce((s, r) => s + r.reduce((t, v, j) => t + (v - mean[j]) ** 2, 0), 0);
    expect((await out.losses.prefixFvu.data())[0]).toBeCloseTo(naive / (N * variance), 5);
    // A prefix list [N] alone is the plain FVU.
    const single = createSae({
      architecture: 'matryoshka',
      dIn: D,
      nLatents: N,
      k: 4,
      useKernels,
      tiedInit: false,
      seed: 9,
      prefixes: [N],
    });
    single.params.assign({ b_dec: sae.bDecD });
    const out2 = single.forward(x);
    expect((await out2.losses.prefixFvu.data())[0]).toBeCloseTo((await out2.losses.fvu.data())[0], 5);
    disposeOutput(out);
    disposeOutput(out2);
    tf.dispose([x, resid]);
    sae.dispose();
    single.dispose();
  },
);

describe('bad configs throw ConfigError naming the argument', () => {
  const cases: [string, unknown, string][] = [
    ['k > n', { architecture: 'topk', dIn: 4, nLatents: 8, k: 9 }, 'k'],
    ['k <= 0', { architecture: 'topk', dIn: 4, nLatents: 8, k: 0 }, 'k'],
    ['batch-topk k <= 0', { architecture: 'batch-topk', dIn: 4, nLatents: 8, k: -1 }, 'k'],
    ['lambda < 0 (L1)', { architecture: 'relu-l1', dIn: 4, nLatents: 8, l1Coefficient: -1 }, 'l1Coefficient'],
    ['lambda < 0 (L0)', { architecture: 'jumprelu', dIn: 4, nLatents: 8, l0Coefficient: -0.1 }, 'l0Coefficient'],
    ['bandwidth 0', { architecture: 'jumprelu', dIn: 4, nLatents: 8, bandwidth: 0 }, 'bandwidth'],
    ['threshold param', { architecture: 'jumprelu', dIn: 4, nLatents: 8, thresholdParam: 'sqrt' }, 'thresholdParam'],
    ['unknown architecture', { architecture: 'no-such-architecture', dIn: 4, nLatents: 8 }, 'architecture'],
    ['dIn 0', { architecture: 'topk', dIn: 0, nLatents: 8, k: 1 }, 'dIn'],
    ['multiTopK 4k > n', { architecture: 'topk', dIn: 4, nLatents: 8, k: 3, multiTopK: true }, 'k'],
    [
      'prefixes not ending at n',
      { architecture: 'matryoshka', dIn: 4, nLatents: 8, k: 2, prefixes: [2, 4] },
      'prefixes',
    ],
    [
      'prefixes not increasing',
      { architecture: 'matryoshka', dIn: 4, nLatents: 8, k: 2, prefixes: [4, 4, 8] },
      'prefixes[1]',
    ],
    [
      'AuxK coefficient < 0',
      { architecture: 'topk', dIn: 4, nLatents: 8, k: 2, auxKCoefficient: -1 },
      'auxKCoefficient',
    ],
  ];
  test.each(cases)('%s', (_name, config, argument) => {
    let caught: unknown;
    const before = tf.memory().numTensors;
    try {
      createSae(config as SaeConfig);
    } catch (e) {
      caught = e;
    }
    expect(tf.memory().numTensors).toBe(before); // nothing allocated survives the throw
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).argument).toBe(argument);
    expect((caught as Error).message.startsWith(`${argument}:`)).toBe(true);
  });
  test('trainer: source width, batch size', () => {
    const sae = createSae({ architecture: 'topk', dIn: 4, nLatents: 8, k: 2 });
    const src = { dim: 5, nextBatch: (b: number) => new Float32Array(b * 5) };
    expect(() => new SaeTrainer(sae, src, { steps: 1 })).toThrow(/^source:/);
    const ok = { dim: 4, nextBatch: (b: number) => new Float32Array(b * 4) };
    expect(() => new SaeTrainer(sae, ok, { steps: 1, batchSize: 0 })).toThrow(/^batchSize:/);
    expect(() => new SaeTrainer(sae, ok, { steps: 1, deadWindow: -3 })).toThrow(/^deadWindow:/);
    sae.dispose();
  });
});

/**
 * TopK transcoders and skip transcoders (Dunefsky et al. 2024, arXiv:2406.11944; Paulo et al.
 * 2025, arXiv:2501.18823) against independent computations: the prediction, FVU, MSE and AuxK
 * against a float64 loop (input not centred on b_dec, residual against the target y), every
 * gradient against central finite differences of that loop, the skip term alone, data
 * initialisation from the targets, SAELens save/load with W_skip, training on pairs through the
 * trainer, the named errors, and no tensor leaks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensorsHeader } from '../../src/core/checkpoint';
import { ConfigError, InputError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';
import { ArraySource, PairedArraySource } from '../../src/data/source';
import { disposeOutput } from '../../src/sae/base';
import { createSae } from '../../src/sae/create';
import { loadSaeLens, saveSaeLens } from '../../src/sae/saelens';
import { SaeTrainer } from '../../src/sae/trainer';
import type { TopKTranscoder } from '../../src/sae/transcoder';
import { maxAbsDiff, randn, relErr, rowsOf, topIndices } from './helpers';

const B = 7;
const D = 5;
const N = 12;
const K = 3;

interface Weights {
  wEnc: number[][];
  bEnc: number[];
  wDec: number[][];
  bDec: number[];
  /** [D_out][D_in] as SAELens. */
  wSkip: number[][];
}

function randomWeights(seed: number): Weights {
  const rng = new Rng(seed);
  const mat = (r: number, c: number, s: number) => rowsOf(randn(rng, r * c, s), r, c);
  return {
    wEnc: mat(D, N, 0.7),
    bEnc: Array.from(randn(rng, N, 0.3)),
    wDec: mat(N, D, 0.5),
    bDec: Array.from(randn(rng, D, 0.3)),
    wSkip: mat(D, D, 0.4),
  };
}

function pairs(seed: number): { xs: number[][]; ys: number[][] } {
  const rng = new Rng(seed);
  return { xs: rowsOf(randn(rng, B * D), B, D), ys: rowsOf(randn(rng, B * D), B, D) };
}

/** The transcoder by plain loops (float64): yhat, FVU, MSE, AuxK over `dead` with kAux. */
function naive(xs: number[][], ys: number[][], w: Weights, skip: boolean, dead: number[] = [], kAux = 2) {
  const yhat: number[][] = [];
  const zs: number[][] = [];
  for (const x of xs) {
    // z = x W_enc + b_enc: no b_dec subtracted (b_dec is the output's bias)
    const z = w.bEnc.map((b, i) => x.reduce((s, xj, j) => s + xj * w.wEnc[j][i], b));
    zs.push(z);
    const f = new Array(N).fill(0);
    for (const i of topIndices(z, K)) f[i] = Math.max(0, z[i]);
    yhat.push(
      w.bDec.map((b, o) => {
        let s = b;
        for (let i = 0; i < N; i++) s += f[i] * w.wDec[i][o];
        if (skip) for (let j = 0; j < D; j++) s += w.wSkip[o][j] * x[j];
        return s;
      }),
    );
  }
  const mean = Array.from({ length: D }, (_, o) => ys.reduce((s, y) => s + y[o], 0) / ys.length);
  let err = 0;
  let total = 0;
  for (let b = 0; b < ys.length; b++) {
    for (let o = 0; o < D; o++) {
      err += (ys[b][o] - yhat[b][o]) ** 2;
      total += (ys[b][o] - mean[o]) ** 2;
    }
  }
  // AuxK: the dead latents' top kAux ReLU pre-activations predict the residual e = y - yhat
  let auxK = 0;
  if (dead.length > 0) {
    const es = ys.map((y, b) => y.map((v, o) => v - yhat[b][o]));
    const eMean = Array.from({ length: D }, (_, o) => es.reduce((s, e) => s + e[o], 0) / es.length);
    let num = 0;
    let den = 0;
    es.forEach((e, b) => {
      const zDead = dead.map((i) => zs[b][i]);
      const keep = topIndices(zDead, Math.min(kAux, dead.length));
      for (let o = 0; o < D; o++) {
        let ehat = 0;
        for (const m of keep) ehat += Math.max(0, zDead[m]) * w.wDec[dead[m]][o];
        num += (e[o] - ehat) ** 2;
        den += (e[o] - eMean[o]) ** 2;
      }
    });
    auxK = num / den;
  }
  return { yhat, fvu: err / total, mse: err / ys.length, auxK };
}

function build(skip: boolean, w: Weights, useKernels = true): TopKTranscoder {
  const sae = createSae({
    architecture: skip ? 'skip-transcoder-topk' : 'transcoder-topk',
    dIn: D,
    nLatents: N,
    k: K,
    kAux: 2,
    useKernels,
  }) as TopKTranscoder;
  tf.tidy(() =>
    sae.params.assign({
      W_enc: tf.tensor2d(w.wEnc),
      b_enc: tf.tensor1d(w.bEnc),
      W_dec: tf.tensor2d(w.wDec),
      b_dec: tf.tensor1d(w.bDec),
      ...(skip ? { W_skip: tf.tensor2d(w.wSkip) } : {}),
    }),
  );
  return sae;
}

describe.each([
  [false, true],
  [true, true],
  [true, false],
])('skip=%s useKernels=%s', (skip, useKernels) => {
  test('prediction, FVU, MSE and AuxK (residual y - yhat) equal the float64 loop', async () => {
    const w = randomWeights(1);
    const { xs, ys } = pairs(2);
    const dead = [0, 4, 7, 9];
    const sae = build(skip, w, useKernels);
    const before = tf.memory().numTensors;
    const [x, y] = [tf.tensor2d(xs), tf.tensor2d(ys)];
    const out = sae.forward(x, { target: y, deadLatents: Int32Array.from(dead) });
    const want = naive(xs, ys, w, skip, dead, 2);
    expect(maxAbsDiff(await out.recon.data(), want.yhat.flat())).toBeLessThan(1e-5);
    expect(Math.abs((await out.losses.fvu.data())[0] - want.fvu)).toBeLessThan(1e-5);
    expect(Math.abs((await out.losses.mse.data())[0] - want.mse)).toBeLessThan(1e-4);
    expect(Math.abs((await out.losses.auxK.data())[0] - want.auxK)).toBeLessThan(1e-5);
    expect(want.auxK).toBeGreaterThan(0);
    const predicted = sae.transcode(x);
    expect(maxAbsDiff(await predicted.data(), want.yhat.flat())).toBeLessThan(1e-5);
    disposeOutput(out);
    tf.dispose([x, y, predicted]);
    expect(tf.memory().numTensors).toBe(before);
    sae.dispose();
  });

  test('every gradient of FVU equals central finite differences of the loop', () => {
    const w = randomWeights(3);
    const { xs, ys } = pairs(4);
    const sae = build(skip, w, useKernels);
    const [x, y] = [tf.tensor2d(xs), tf.tensor2d(ys)];
    const { grads } = sae.params.gradients(() => {
      const out = sae.forward(x, { target: y });
      const keep = out.losses.fvu.clone();
      disposeOutput(out);
      return keep;
    });
    const fields: [string, keyof Weights][] = [
      ['W_enc', 'wEnc'],
      ['b_enc', 'bEnc'],
      ['W_dec', 'wDec'],
      ['b_dec', 'bDec'],
      ...(skip ? ([['W_skip', 'wSkip']] as [string, keyof Weights][]) : []),
    ];
    const h = 1e-5;
    for (const [name, field] of fields) {
      const got = grads[name].dataSync();
      const flat = (w[field] as number[] | number[][]).flat();
      const numeric = flat.map((_, i) => {
        const at = (delta: number) => {
          const v = flat.slice();
          v[i] += delta;
          const shaped = Array.isArray((w[field] as unknown[])[0])
            ? rowsOf(v, (w[field] as number[][]).length, (w[field] as number[][])[0].length)
            : v;
          return naive(xs, ys, { ...w, [field]: shaped }, skip).fvu;
        };
        return (at(h) - at(-h)) / (2 * h);
      });
      expect([name, relErr(got, numeric) < 2e-3]).toEqual([name, true]);
    }
    expect(grads.W_skip === undefined).toBe(!skip);
    tf.dispose([x, y, ...Object.values(grads)]);
    sae.dispose();
  });
});

test('the skip term alone: with W_dec = 0 and b_dec = 0 the prediction is x W_skip^T', async () => {
  const w = randomWeights(5);
  const zero = { ...w, wDec: w.wDec.map((r) => r.map(() => 0)), bDec: w.bDec.map(() => 0) };
  const sae = build(true, zero);
  const { xs } = pairs(6);
  const x = tf.tensor2d(xs);
  const got = sae.transcode(x);
  const want = xs.map((row) => w.wSkip.map((skipRow) => skipRow.reduce((s, v, j) => s + v * row[j], 0)));
  expect(maxAbsDiff(await got.data(), want.flat())).toBeLessThan(1e-5);
  tf.dispose([x, got]);
  sae.dispose();
});

test('named errors before allocation: b_dec on the input, a missing or unasked target', () => {
  const before = tf.memory().numTensors;
  expect(() =>
    createSae({ architecture: 'transcoder-topk', dIn: D, nLatents: N, k: K, applyBDecToInput: true }),
  ).toThrow(ConfigError);
  expect(tf.memory().numTensors).toBe(before);
  const sae = build(false, randomWeights(7));
  const topk = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: K });
  const mid = tf.memory().numTensors;
  const x = tf.tensor2d(pairs(8).xs);
  expect(() => sae.forward(x)).toThrow(/^options\.target: a transcoder needs the target/);
  expect(() => sae.forward(x, { target: tf.zeros([B, D + 1]) as tf.Tensor2D })).toThrow(InputError);
  expect(() => topk.forward(x, { target: x })).toThrow(/^options\.target: a 'topk' SAE reconstructs its input/);
  x.dispose();
  expect(tf.memory().numTensors).toBe(mid + 1); // only the zeros made for the bad call
  sae.dispose();
  topk.dispose();
});

test('data initialisation: b_dec is the mean of the targets; the scale comes from the inputs', async () => {
  const sae = build(true, randomWeights(9));
  const rng = new Rng(10);
  const x = tf.tensor2d(randn(rng, 40 * D, 3), [40, D]);
  const y = tf.tensor2d(randn(rng, 40 * D, 0.5), [40, D]).add(1) as tf.Tensor2D;
  await expect(sae.initFromData(x, { bDecInit: 'mean' })).rejects.toThrow(InputError);
  await sae.initFromData(x, { bDecInit: 'mean', normalizeInput: true }, y);
  const xs = (await x.array()) as number[][];
  const ys = (await y.array()) as number[][];
  const meanSq = xs.reduce((s, r) => s + r.reduce((a, v) => a + v * v, 0), 0) / xs.length;
  expect(sae.inputScale).toBeCloseTo(Math.sqrt(D / meanSq), 5);
  const meanY = Array.from({ length: D }, (_, o) => (sae.inputScale * ys.reduce((s, r) => s + r[o], 0)) / ys.length);
  expect(maxAbsDiff(await sae.bDecD.data(), meanY)).toBeLessThan(1e-5);
  tf.dispose([x, y]);
  sae.dispose();
});

test('SAELens layout: skip_transcoder with d_out, W_skip [d_out, d_in], b_dec not applied; loads back equal', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transcoder-'));
  const sae = build(true, randomWeights(11));
  sae.inputScale = 1.7; // folded into the weights on save
  const x = tf.tensor2d(pairs(12).xs);
  const before = await sae.transcode(x).data();
  await saveSaeLens(dir, sae);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
  expect(cfg).toMatchObject({ architecture: 'skip_transcoder', d_in: D, d_out: D, d_sae: N, k: K });
  expect(cfg.apply_b_dec_to_input).toBe(false);
  const header = readSafetensorsHeader(path.join(dir, 'sae_weights.safetensors'));
  expect(Object.keys(header.entries).sort()).toEqual(['W_dec', 'W_enc', 'W_skip', 'b_dec', 'b_enc']);
  expect(header.entries.W_skip.shape).toEqual([D, D]);
  const loaded = loadSaeLens(dir) as TopKTranscoder;
  expect(loaded.architecture).toBe('skip-transcoder-topk');
  const after = loaded.transcode(x);
  expect(maxAbsDiff(await after.data(), before)).toBeLessThan(1e-5);
  // Without our config block the folder still reads as a TopK skip transcoder (it carries k) ...
  delete cfg.gensparse;
  fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(cfg));
  const plain = loadSaeLens(dir) as TopKTranscoder;
  const again = plain.transcode(x);
  expect(maxAbsDiff(await again.data(), before)).toBeLessThan(1e-5);
  // ... and an SAELens ReLU transcoder (no k) is refused by name.
  delete cfg.k;
  fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(cfg));
  expect(() => loadSaeLens(dir)).toThrow(/^cfg\.k: missing .* is a ReLU transcoder/);
  tf.dispose([x, after, again]);
  for (const s of [sae, loaded, plain]) s.dispose();
  fs.rmSync(dir, { recursive: true });
});

test('the trainer feeds (x, y) pairs and lowers the FVU of y; a plain source is refused; no leaks', async () => {
  // y = ReLU(x A) C: a small MLP whose output a transcoder can predict from its input
  const rows = 2048;
  const rng = new Rng(13);
  const hidden = 8;
  const a = rowsOf(randn(rng, D * hidden), D, hidden);
  const c = rowsOf(randn(rng, hidden * D, 0.5), hidden, D);
  const xs = randn(rng, rows * D);
  const ys = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < hidden; h++) {
      let z = 0;
      for (let j = 0; j < D; j++) z += xs[r * D + j] * a[j][h];
      if (z > 0) for (let o = 0; o < D; o++) ys[r * D + o] += z * c[h][o];
    }
  }
  const sae = createSae({ architecture: 'skip-transcoder-topk', dIn: D, nLatents: 16, k: 4 });
  expect(() => new SaeTrainer(sae, new ArraySource(xs, D), { steps: 1 })).toThrow(/^source: a 'skip-transcoder-topk'/);
  const trainer = new SaeTrainer(sae, new PairedArraySource(xs, ys, D), {
    steps: 150,
    batchSize: 64,
    lr: 1e-2,
    initSamples: 256,
    logEvery: 10,
  });
  await trainer.initialise();
  const before = tf.memory().numTensors;
  const first = await trainer.step();
  const fvu0 = (first.fvu as tf.Scalar).dataSync()[0];
  tf.dispose(Object.values(first).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  expect(tf.memory().numTensors).toBe(before);
  const history = await trainer.train();
  const last = history.values[history.values.length - 1].fvu as number;
  expect(last).toBeLessThan(0.5 * fvu0);
  trainer.dispose();
  sae.dispose();
});

test('a transcoder run resumed from getState continues exactly as the uninterrupted run (paired source position included)', async () => {
  const rng = new Rng(21);
  const rows = 512;
  const xs = randn(rng, rows * D);
  const ys = randn(rng, rows * D, 0.5);
  const config = { steps: 8, batchSize: 32, lr: 5e-3, initSamples: 64, logEvery: 2 };
  const build = () => createSae({ architecture: 'skip-transcoder-topk', dIn: D, nLatents: N, k: K, seed: 3 });
  const weights = async (s: { params: { names(): string[]; get(n: string): tf.Tensor } }) =>
    Promise.all(s.params.names().map(async (n) => Array.from(await s.params.get(n).data())));

  const whole = build();
  const wholeTrainer = new SaeTrainer(whole, new PairedArraySource(xs, ys, D), config);
  await wholeTrainer.train();

  const first = build();
  const firstTrainer = new SaeTrainer(first, new PairedArraySource(xs, ys, D), { ...config, steps: 8 });
  await firstTrainer.initialise();
  for (let i = 0; i < 4; i++) {
    const out = await firstTrainer.step();
    tf.dispose(Object.values(out).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  }
  const state = firstTrainer.getState();
  const resumed = build();
  const resumedTrainer = new SaeTrainer(resumed, new PairedArraySource(xs, ys, D), config);
  resumedTrainer.loadState(state);
  tf.dispose(Object.values(state.tensors));
  await resumedTrainer.train();
  const [a, b] = [await weights(whole), await weights(resumed)];
  for (let i = 0; i < a.length; i++) expect(maxAbsDiff(a[i], b[i])).toBeLessThan(1e-6);
  for (const t of [wholeTrainer, firstTrainer, resumedTrainer]) t.dispose();
  for (const s of [whole, first, resumed]) s.dispose();
});

test('a stack of 2 skip transcoders trained together ends as 2 separate runs on the same pairs, exactly', async () => {
  const rng = new Rng(31);
  const rows = 256;
  const xs = randn(rng, rows * D);
  const ys = randn(rng, rows * D, 0.5);
  const config = { steps: 6, batchSize: 16, lr: 1e-2, initSamples: 32, logEvery: 2, deadWindow: 32 };
  const configOf = (i: number) =>
    ({ architecture: 'skip-transcoder-topk', dIn: D, nLatents: N, k: 2 + i, kAux: 3, seed: 5 + i }) as const;
  const paramsOf = async (s: { params: { names(): string[]; get(n: string): tf.Tensor } }) =>
    Object.fromEntries(
      await Promise.all(s.params.names().map(async (n) => [n, Array.from(await s.params.get(n).data())])),
    );
  const separate: Record<string, number[]>[] = [];
  for (let i = 0; i < 2; i++) {
    const sae = createSae(configOf(i));
    const trainer = new SaeTrainer(sae, new PairedArraySource(xs, ys, D), config);
    await trainer.train();
    separate.push(await paramsOf(sae));
    trainer.dispose();
    sae.dispose();
  }
  const saes = [0, 1].map((i) => createSae(configOf(i)));
  const trainer = new SaeTrainer(saes, new PairedArraySource(xs, ys, D), config);
  await trainer.train();
  for (let i = 0; i < 2; i++) expect(await paramsOf(saes[i])).toEqual(separate[i]);
  trainer.dispose();
  for (const s of saes) s.dispose();
});

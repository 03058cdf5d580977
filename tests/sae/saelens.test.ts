/**
 * SAELens v6 layout: every architecture round-trips (same outputs after save + load, the input
 * normalisation folded in), and a folder written by hand in SAELens' layout (cfg.json + the
 * safetensors bytes from core encodeSafetensors) loads and computes what a JS loop computes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { encodeSafetensors, type RawTensor } from '../../src/core/safetensors';
import { createSae, type SaeConfig } from '../../src/sae/create';
import { denseLatents, disposeOutput } from '../../src/sae/base';
import { loadSaeLens, saveSaeLens } from '../../src/sae/saelens';
import { SaeTrainer } from '../../src/sae/trainer';
import { SuperpositionData } from '../../src/data/synthetic';
import { maxAbsDiff, randn, relErr, rowsOf } from './helpers';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-saelens-'));
const D = 8;
const N = 24;

describe.each([
  ['relu-l1', 'standard'],
  ['topk', 'topk'],
  ['batch-topk', 'jumprelu'],
  ['jumprelu', 'jumprelu'],
  ['matryoshka', 'topk'],
  ['gated', 'gated'],
] as const)('%s round trip (saved as SAELens "%s")', (architecture, saeLensName) => {
  test('cfg.json fields, weight shapes, same reconstruction after load', async () => {
    const src = new SuperpositionData({
      numFeatures: 30,
      dim: D,
      probability: 0.1,
      seed: 4,
      magnitude: { kind: 'constant', value: 3 },
    });
    // each architecture's own options only (unknown keys are rejected)
    const own = {
      'relu-l1': {},
      topk: { k: 3 },
      'batch-topk': { k: 3 },
      jumprelu: { thresholdParam: 'log-theta' },
      matryoshka: { k: 3 },
      gated: { l1Coefficient: 0.5 },
    };
    const sae = createSae({ architecture, dIn: D, nLatents: N, ...own[architecture] } as SaeConfig);
    const trainer = new SaeTrainer(sae, src, {
      steps: 4,
      batchSize: 32,
      lr: 1e-2,
      initSamples: 128,
      normalizeInput: true,
    });
    await trainer.train();
    const dir = tmp();
    await saveSaeLens(dir, sae, { model_name: 'toy', hook_name: 'synthetic' });
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({
      architecture: saeLensName,
      d_in: D,
      d_sae: N,
      dtype: 'float32',
      apply_b_dec_to_input: true,
      normalize_activations: 'none',
      metadata: { model_name: 'toy', hook_name: 'synthetic' },
    });
    if (saeLensName === 'topk') expect(cfg.k).toBe(3);
    const x = tf.tensor2d(src.nextBatch(16), [16, D]);
    const before = sae.forward(x);
    for (const overrides of [{}, { useKernels: false }]) {
      const loaded = loadSaeLens(dir, overrides);
      expect(loaded.architecture).toBe(architecture);
      expect(loaded.inputScale).toBe(1);
      const after = loaded.forward(x);
      expect(relErr(await after.recon.data(), await before.recon.data())).toBeLessThan(1e-5);
      disposeOutput(after);
      loaded.dispose();
    }
    // Without our own "gensparse" block, SAELens' architecture decides.
    delete cfg.gensparse;
    fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(cfg));
    const plain = loadSaeLens(dir);
    expect(plain.architecture).toBe(
      ({ standard: 'relu-l1', topk: 'topk', jumprelu: 'jumprelu', gated: 'gated' } as const)[saeLensName],
    );
    if (architecture !== 'matryoshka' && architecture !== 'relu-l1') {
      const after = plain.forward(x);
      expect(relErr(await after.recon.data(), await before.recon.data())).toBeLessThan(1e-5);
      disposeOutput(after);
    }
    plain.dispose();
    disposeOutput(before);
    x.dispose();
    trainer.dispose();
    sae.dispose();
    fs.rmSync(dir, { recursive: true });
  });
});

test('loads a JumpReLU folder written by hand in SAELens layout (Gemma Scope style: no b_dec on input)', async () => {
  const rng = new Rng(8);
  const wEnc = randn(rng, D * N, 0.5);
  const wDec = randn(rng, N * D, 0.3);
  const bEnc = randn(rng, N, 0.1);
  const bDec = randn(rng, D, 0.2);
  const theta = Float32Array.from({ length: N }, () => 0.2 * rng.uniform());
  const raw = (a: Float32Array, shape: number[]): RawTensor => ({
    dtype: 'F32',
    shape,
    bytes: new Uint8Array(a.buffer.slice(0)),
  });
  const dir = tmp();
  fs.writeFileSync(
    path.join(dir, 'sae_weights.safetensors'),
    encodeSafetensors({
      W_enc: raw(wEnc, [D, N]),
      W_dec: raw(wDec, [N, D]),
      b_enc: raw(bEnc, [N]),
      b_dec: raw(bDec, [D]),
      threshold: raw(theta, [N]),
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'cfg.json'),
    JSON.stringify({
      architecture: 'jumprelu',
      d_in: D,
      d_sae: N,
      dtype: 'float32',
      device: 'cuda',
      apply_b_dec_to_input: false,
      normalize_activations: 'none',
      reshape_activations: 'none',
      some_future_field: 1,
      metadata: { model_name: 'gemma-2-2b', hook_name: 'blocks.12.hook_resid_post' },
    }),
  );
  const sae = loadSaeLens(dir);
  expect(sae.architecture).toBe('jumprelu');
  const xArr = randn(rng, 4 * D);
  const x = tf.tensor2d(xArr, [4, D]);
  const out = sae.forward(x);
  const W = rowsOf(wEnc, D, N);
  const V = rowsOf(wDec, N, D);
  const wantF: number[] = [];
  const wantR: number[] = [];
  for (const row of rowsOf(xArr, 4, D)) {
    const f = Array.from({ length: N }, (_, i) => {
      const z = row.reduce((s, v, j) => s + v * W[j][i], bEnc[i]); // no b_dec subtracted
      return z > theta[i] ? z : 0;
    });
    wantF.push(...f);
    wantR.push(...Array.from({ length: D }, (_, j) => f.reduce((s, fi, i) => s + fi * V[i][j], bDec[j])));
  }
  expect(maxAbsDiff(await denseLatents(out.latents, N).data(), wantF)).toBeLessThan(1e-5);
  expect(maxAbsDiff(await out.recon.data(), wantR)).toBeLessThan(1e-5);
  disposeOutput(out);
  x.dispose();
  sae.dispose();
  fs.rmSync(dir, { recursive: true });
});

test('unsupported SAELens folders fail with the field at fault', () => {
  const dir = tmp();
  fs.writeFileSync(
    path.join(dir, 'cfg.json'),
    JSON.stringify({ architecture: 'no-such-architecture', d_in: 4, d_sae: 8 }),
  );
  expect(() => loadSaeLens(dir)).toThrow(/^cfg\.architecture:/);
  fs.writeFileSync(
    path.join(dir, 'cfg.json'),
    JSON.stringify({
      architecture: 'topk',
      d_in: 4,
      d_sae: 8,
      normalize_activations: 'expected_average_only_in',
      k: 2,
    }),
  );
  expect(() => loadSaeLens(dir)).toThrow(/^cfg\.normalize_activations:/);
  fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify({ architecture: 'topk', d_in: 4, d_sae: 8 }));
  expect(() => loadSaeLens(dir)).toThrow(/^cfg\.k:/);
  expect(() => loadSaeLens(path.join(dir, 'missing'))).toThrow(/^dir:/);
  fs.rmSync(dir, { recursive: true });
});

test('trainer checkpoints through onCheckpoint every N steps (here: SAELens folders)', async () => {
  const src = new SuperpositionData({ numFeatures: 30, dim: D, probability: 0.1, seed: 4 });
  const sae = createSae({ architecture: 'topk', dIn: D, nLatents: N, k: 3 });
  const root = tmp();
  const saved: number[] = [];
  const trainer = new SaeTrainer(sae, src, {
    steps: 6,
    batchSize: 16,
    lr: 1e-2,
    initSamples: 64,
    checkpointEvery: 2,
    onCheckpoint: async (step, model) => {
      saved.push(step);
      await saveSaeLens(path.join(root, `step-${step}`), model);
    },
  });
  await trainer.train();
  expect(saved).toEqual([2, 4, 6]);
  const last = loadSaeLens(path.join(root, 'step-6'));
  expect(maxAbsDiff(await last.wEncDN.data(), await sae.wEncDN.data())).toBe(0);
  last.dispose();
  trainer.dispose();
  sae.dispose();
  fs.rmSync(root, { recursive: true });
});

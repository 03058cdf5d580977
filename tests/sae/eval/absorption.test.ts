import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/random';
import { absorptionRate } from '../../../src/sae/eval/truth';
import { HierarchicalData } from '../../../src/data/synthetic';
import { createSae } from '../../../src/sae/create';
import {
  absorptionCounts,
  charAbsorption,
  charAbsorptionOf,
  charAbsorptionTask,
  toyAbsorption,
  trainLinearProbe,
} from '../../../src/sae/eval/absorption';
import { latentRowsOf } from '../../../src/sae/eval/latent-rows';
import { tinyLm } from './helpers';

describe('trainLinearProbe', () => {
  test('equals a plain-JS gradient-descent loop on the same standardised problem', async () => {
    const rng = new Rng(5);
    const M = 60;
    const D = 4;
    const x = Float32Array.from({ length: M * D }, (_, i) => rng.normal() * (1 + (i % D)) + 2);
    const labels: number[] = Array.from({ length: M }, (_, i) =>
      x[i * D] + 0.5 * x[i * D + 1] + 0.3 * rng.normal() > 4 ? 1 : 0,
    );
    const steps = 40;
    const lr = 0.5;
    const l2 = 1e-3;
    const probe = await trainLinearProbe(x, labels, D, { steps, lr, l2 });
    // Naive: the same algorithm written out in float64.
    const mean = Array.from({ length: D }, (_, j) => labels.reduce((s, _l, i) => s + x[i * D + j], 0) / M);
    const std = mean.map((mu, j) => Math.sqrt(labels.reduce((s, _l, i) => s + (x[i * D + j] - mu) ** 2, 0) / M));
    const z = (i: number, j: number) => (x[i * D + j] - mean[j]) / std[j];
    const w = new Array(D).fill(0);
    let b = 0;
    for (let s = 0; s < steps; s++) {
      const err = labels.map((y, i) => 1 / (1 + Math.exp(-(b + w.reduce((a, wj, j) => a + wj * z(i, j), 0)))) - y);
      const gw = w.map((wj, j) => err.reduce((a, e, i) => a + e * z(i, j), 0) / M + l2 * wj);
      const gb = err.reduce((a, e) => a + e, 0) / M;
      for (let j = 0; j < D; j++) w[j] -= lr * gw[j];
      b -= lr * gb;
    }
    for (let j = 0; j < D; j++) expect(probe.weights[j]).toBeCloseTo(w[j] / std[j], 3);
    expect(probe.bias).toBeCloseTo(b - w.reduce((a, wj, j) => a + (wj * mean[j]) / std[j], 0), 3);
    expect(probe.trainAccuracy).toBeGreaterThan(0.8);
  });
});

describe('absorptionCounts on a hand-made toy', () => {
  test('full absorption and the absorption fraction follow the definitions', async () => {
    // D = 2, probe p = e0. Latents: 0 main (d = e0), 1 child carrying p (d = (0.6, 0.8)), 2 orthogonal (e1).
    const decoder = Float32Array.from([1, 0, 0.6, 0.8, 0, 1]);
    const f = Float32Array.from(
      [
        [2, 1, 0], // main fires: not absorbed; fraction 0.6 / (2 + 0.6)
        [0, 1, 3], // main silent, latent 1 carries: absorbed; fraction 1
        [0, 0, 3], // main silent, nothing carries: not absorbed; fraction 0
        [0, 2, 0], // absorbed; fraction 1
      ].flat(),
    );
    const t = tf.tensor2d(f, [4, 3]);
    const rows = await latentRowsOf({ kind: 'dense', denseBN: t }, 3);
    t.dispose();
    const r = absorptionCounts({
      latents: rows,
      decoder,
      dim: 2,
      probe: Float32Array.from([1, 0]),
      positives: [
        { row: 0, child: 'a' },
        { row: 1, child: 'a' },
        { row: 2, child: 'e' },
        { row: 3, child: 'e' },
      ],
      mainLatents: [0],
      absorbCosine: 0.5,
    });
    expect(r.positives).toBe(4);
    expect(r.absorbed).toBe(2);
    expect(r.absorptionRate).toBeCloseTo(0.5, 12);
    expect(r.absorptionFraction).toBeCloseTo((0.6 / 2.6 + 1 + 0 + 1) / 4, 6); // float32 decoder
    expect(r.perChild.a.absorptionRate).toBeCloseTo(0.5, 12);
    expect(r.perChild.e.absorptionFraction).toBeCloseTo(0.5, 12);
  });
});

describe('toyAbsorption', () => {
  test('equals absorptionRate on the same samples, for a sparse (TopK) SAE', async () => {
    const data = new HierarchicalData({ seed: 3 });
    const twin = new HierarchicalData({ seed: 3 });
    const sae = createSae({ architecture: 'topk', dIn: 20, nLatents: 20, k: 2, seed: 1 });
    const before = tf.memory().numTensors;
    const got = await toyAbsorption(sae, data, 500);
    expect(tf.memory().numTensors).toBe(before);
    const { x, codes } = twin.sample(500);
    const out = sae.forward(tf.tensor2d(x, [500, 20]));
    const lat = out.latents;
    const dense = lat.kind === 'sparse' ? lat : null;
    // Dense latents by a JS scatter of the sparse ones.
    const values = await dense!.valuesBK.data();
    const indices = await dense!.indicesBK.data();
    const latents = new Float32Array(500 * 20);
    for (let b = 0; b < 500; b++) for (let k = 0; k < 2; k++) latents[b * 20 + indices[b * 2 + k]] = values[b * 2 + k];
    const want = absorptionRate({
      decoder: (await sae.wDecND.data()) as Float32Array,
      directions: twin.directions,
      dim: 20,
      parents: twin.parents,
      children: twin.children,
      codes,
      latents,
    });
    expect(got.rate).toBeCloseTo(want.rate, 10);
    expect(got.carriedRate).toBeCloseTo(want.carriedRate, 10);
    expect(got.parentOnlyRecall).toBeCloseTo(want.parentOnlyRecall, 10);
    tf.dispose([out.recon, out.loss, ...Object.values(out.losses), dense!.valuesBK, dense!.indicesBK]);
    sae.dispose();
  });
});

describe('charAbsorption on a tiny model', () => {
  test('returns a consistent record and leaves no tensors behind', async () => {
    const model = tinyLm();
    const sae = createSae({ architecture: 'topk', dIn: 16, nLatents: 32, k: 4, seed: 3 });
    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(12);
    const before = tf.memory().numTensors;
    const r = await charAbsorption(model, sae, text, { layer: 1, maxChars: 400, probeSteps: 50, mainLatents: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.parent).toBe('aeiou');
    expect(r.mainLatents).toHaveLength(2);
    expect(r.positives).toBe(Object.values(r.perChild).reduce((s, c) => s + c.positives, 0));
    expect(Object.keys(r.perChild).every((c) => 'aeiou'.includes(c))).toBe(true);
    expect(r.absorptionRate).toBeGreaterThanOrEqual(0);
    expect(r.absorptionRate).toBeLessThanOrEqual(1);
    expect(r.probeTestAccuracy).toBeGreaterThan(0.5);
    sae.dispose();
    model.dispose();
  });

  test('a task built once scores every SAE as charAbsorption does, on the same probe and rows', async () => {
    const model = tinyLm();
    const text = 'a tale of one seed: each vowel here is a child of the class. '.repeat(10);
    const options = { layer: 1, maxChars: 400, probeSteps: 40 };
    const task = await charAbsorptionTask(model, text, options);
    for (const seed of [5, 6]) {
      const sae = createSae({ architecture: 'topk', dIn: 16, nLatents: 24, k: 3, seed });
      const want = await charAbsorption(model, sae, text, options);
      const before = tf.memory().numTensors;
      const got = await charAbsorptionOf(task, sae);
      expect(tf.memory().numTensors).toBe(before);
      expect(got).toEqual(want);
      sae.dispose();
    }
    model.dispose();
  });
});

import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../src/core/random';
import { CharVocab } from '../../../src/data/lm/vocab';
import { DashboardCollector, logitEffects } from '../../../src/sae/eval/dashboards';
import { latentRowsOf } from '../../../src/sae/eval/latent-rows';
import { TINY_LM, tinyLm } from './helpers';

/** Random sparse activations [W*T, N] (about 30% firing), with ties. */
function randomActs(rng: Rng, rows: number, N: number): Float32Array {
  return Float32Array.from({ length: rows * N }, () =>
    rng.uniform() < 0.3 ? Math.round(rng.uniform() * 40) / 10 + 0.01 : 0,
  );
}

describe('DashboardCollector against brute force over all activations', () => {
  test('top-K, per-character contexts, density, histogram and quantile samples', async () => {
    const rng = new Rng(8);
    const N = 5;
    const T = 6;
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
    const collector = new DashboardCollector(N, chars, { topK: 4, reservoir: 6, left: 3, right: 1, bins: 8 });
    const all: { latent: number; position: number; value: number; window: number; t: number }[] = [];
    const actsByWindow: Float32Array[] = [];
    let window = 0;
    for (const windows of [3, 1, 4]) {
      const acts = randomActs(rng, windows * T, N);
      const starts = Int32Array.from({ length: windows }, (_, b) => (window + b) * T);
      for (let b = 0; b < windows; b++) {
        actsByWindow.push(acts.slice(b * T * N, (b + 1) * T * N));
        for (let t = 0; t < T; t++)
          for (let j = 0; j < N; j++) {
            const v = acts[(b * T + t) * N + j];
            if (v > 0) all.push({ latent: j, position: starts[b] + t, value: v, window: window + b, t });
          }
      }
      const dense = tf.tensor2d(acts, [windows * T, N]);
      collector.add({ windowStarts: starts, T, latents: await latentRowsOf({ kind: 'dense', denseBN: dense }, N) });
      dense.dispose();
      window += windows;
    }
    const boards = collector.dashboards(null);
    for (let j = 0; j < N; j++) {
      const mine = all.filter((a) => a.latent === j);
      const want = [...mine].sort((a, b) => b.value - a.value || a.position - b.position).slice(0, 4);
      const board = boards[j];
      expect(board.top.map((e) => [e.position, e.activation])).toEqual(
        want.map((a) => [a.position, Math.fround(a.value)]),
      );
      expect(board.density).toBeCloseTo(mine.length / (window * T), 12);
      expect(board.maxActivation).toBeCloseTo(Math.max(...mine.map((a) => a.value)), 5);
      // Context: characters t-3 .. t+1 of the same window, with this latent's activation on each.
      for (const e of board.top) {
        const a = mine.find((m) => m.position === e.position)!;
        const from = Math.max(0, a.t - 3);
        const to = Math.min(T - 1, a.t + 1);
        expect(e.text).toBe(chars.slice(a.window * T + from, a.window * T + to + 1));
        expect(e.index).toBe(a.t - from);
        const acts = actsByWindow[a.window];
        expect(e.activations).toEqual(Array.from({ length: to - from + 1 }, (_, u) => acts[(from + u) * N + j]));
      }
      // Histogram of log10(v) over 8 bins on [-2, 2], clipped at the ends.
      const counts = new Array(8).fill(0);
      for (const a of mine)
        counts[Math.min(7, Math.max(0, Math.floor(((Math.log10(Math.fround(a.value)) + 2) / 4) * 8)))]++;
      expect(board.histogram.counts).toEqual(counts);
      // Quantile samples are firing examples, in increasing activation.
      const qs = board.quantiles.map((q) => q.example.activation);
      expect(qs).toEqual([...qs].sort((a, b) => a - b));
      for (const q of board.quantiles) expect(mine.some((m) => m.position === q.example.position)).toBe(true);
    }
  });
});

describe('logitEffects', () => {
  test('equals (d * g) W_te^T centred over the vocabulary, by a naive loop', async () => {
    const model = tinyLm();
    const D = TINY_LM.dModel;
    const V = TINY_LM.vocabSize;
    const rng = new Rng(2);
    const decoder = Float32Array.from({ length: 3 * D }, () => rng.normal());
    const effects = await logitEffects(model, decoder, 3);
    const g = await model.params.get('lnf.g').data();
    const wte = await model.params.get('wte').data();
    for (let j = 0; j < 3; j++) {
      const raw = Array.from({ length: V }, (_, v) => {
        let s = 0;
        for (let k = 0; k < D; k++) s += decoder[j * D + k] * g[k] * wte[v * D + k];
        return s;
      });
      const mean = raw.reduce((a, b) => a + b, 0) / V;
      for (let v = 0; v < V; v++) expect(effects.values[j * V + v]).toBeCloseTo(raw[v] - mean, 4);
      const best = raw.indexOf(Math.max(...raw));
      expect(effects.of(j).promoted[0].char).toBe(new CharVocab().chars[best]);
      const worst = raw.indexOf(Math.min(...raw));
      expect(effects.of(j).suppressed[0].char).toBe(new CharVocab().chars[worst]);
    }
    model.dispose();
  });
});

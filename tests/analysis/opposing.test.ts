import * as tf from '@tensorflow/tfjs';
import {
  countBelow,
  expectedOpposingCount,
  minOtherCosines,
  opposingPairProbability,
} from '../../src/analysis/opposing';
import { Rng } from '../../src/core/random';

function randomRows(rng: Rng, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/** The definition by brute force: every pair, in float64. */
function naiveMinCos(w: Float32Array, n: number, d: number): { minCos: number[]; partner: number[] } {
  const norm = (i: number) => Math.sqrt(Array.from({ length: d }, (_, c) => w[i * d + c] ** 2).reduce((a, b) => a + b));
  const minCos: number[] = [];
  const partner: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let arg = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += w[i * d + c] * w[j * d + c];
      const cos = dot / (norm(i) * norm(j));
      if (cos < best) {
        best = cos;
        arg = j;
      }
    }
    minCos.push(best);
    partner.push(arg);
  }
  return { minCos, partner };
}

test('blocked min cosines equal the brute-force pairs for block sizes that do not divide N, and free their tensors', async () => {
  const n = 53;
  const d = 7;
  const w = randomRows(new Rng(3), n, d);
  const ref = naiveMinCos(w, n, d);
  const wND = tf.tensor2d(w, [n, d]);
  const before = tf.memory().numTensors;
  for (const block of [1, 8, 53, 100]) {
    const got = await minOtherCosines(wND, block);
    got.minCos.forEach((v, i) => expect(v).toBeCloseTo(ref.minCos[i], 5));
    expect(Array.from(got.partner)).toEqual(ref.partner);
  }
  expect(tf.memory().numTensors).toBe(before);
  wND.dispose();
});

test('an exactly opposite pair is found with cosine -1, whatever the row norms', async () => {
  const rng = new Rng(5);
  const w = randomRows(rng, 20, 16);
  for (let c = 0; c < 16; c++) w[7 * 16 + c] = -3 * w[2 * 16 + c];
  const wND = tf.tensor2d(w, [20, 16]);
  const { minCos, partner } = await minOtherCosines(wND, 6);
  wND.dispose();
  expect(minCos[2]).toBeCloseTo(-1, 5);
  expect(partner[2]).toBe(7);
  expect(partner[7]).toBe(2);
  expect(countBelow(minCos, -0.999)).toBe(2);
});

test('the pair probability matches the closed forms in d = 2 and d = 3', () => {
  for (const t of [-0.5, 0, 0.3, 0.7, 0.9]) {
    expect(opposingPairProbability(3, t)).toBeCloseTo((1 - t) / 2, 8);
    expect(opposingPairProbability(2, t)).toBeCloseTo(Math.acos(t) / Math.PI, 8);
  }
});

test('the expected opposing count matches a simulation of random unit vectors (d = 8, n = 300)', async () => {
  const n = 300;
  const d = 8;
  const rng = new Rng(11);
  const reps = 6;
  for (const t of [0.7, 0.9]) {
    let total = 0;
    for (let r = 0; r < reps; r++) {
      const wND = tf.tensor2d(randomRows(rng, n, d), [n, d]);
      total += countBelow((await minOtherCosines(wND, 64)).minCos, -t);
      wND.dispose();
    }
    const expected = expectedOpposingCount(n, d, t);
    // Poisson-like spread of the mean of `reps` counts: allow 4 standard errors.
    expect(Math.abs(total / reps - expected)).toBeLessThan(4 * Math.sqrt(expected / reps) + 1);
  }
  // In d = 128 a random pair below -0.7 is astronomically rare.
  expect(expectedOpposingCount(4096, 128, 0.7)).toBeLessThan(1e-6);
});

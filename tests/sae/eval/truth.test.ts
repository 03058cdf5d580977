import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../../src/base/errors';
import { Rng } from '../../../src/core/random';
import { SynthBench } from '../../../src/data/synth-bench';
import { SynthBenchV1 } from '../../../src/data/synth-bench-v1';
import { absCosineMatrix, cosineMatrix, maxSimilarityAssignment } from '../../../src/sae/eval/assignment';
import { latentRowsOf } from '../../../src/sae/eval/latent-rows';
import { rowCosines, seedStability } from '../../../src/sae/eval/stability';
import { KnownTruthStats } from '../../../src/sae/eval/truth';

/** The best total over every one-to-one assignment, by enumeration. */
function bruteForceBest(sim: ArrayLike<number>, m: number, n: number): number {
  let best = -Infinity;
  const usedCols = new Array(n).fill(false);
  const pairs = Math.min(m, n);
  // Choose for each row a column or "unassigned", with exactly `pairs` rows assigned.
  const rec = (i: number, assigned: number, total: number) => {
    if (i === m) {
      if (assigned === pairs) best = Math.max(best, total);
      return;
    }
    if (m - i - 1 >= pairs - assigned) rec(i + 1, assigned, total); // leave row i out
    for (let j = 0; j < n; j++) {
      if (usedCols[j] || assigned === pairs) continue;
      usedCols[j] = true;
      rec(i + 1, assigned + 1, total + sim[i * n + j]);
      usedCols[j] = false;
    }
  };
  rec(0, 0, 0);
  return best;
}

async function rowsOf(denseBN: Float32Array, B: number, N: number) {
  const t = tf.tensor2d(denseBN, [B, N]);
  const rows = await latentRowsOf({ kind: 'dense', denseBN: t }, N);
  t.dispose();
  return rows;
}

describe('maxSimilarityAssignment (munkres) against brute force', () => {
  test('square and rectangular, both orientations, with ties', () => {
    const rng = new Rng(4);
    for (const [m, n] of [
      [1, 1],
      [3, 3],
      [4, 6],
      [6, 4],
      [5, 5],
      [2, 6],
      [6, 6],
    ]) {
      for (let trial = 0; trial < 3; trial++) {
        const sim = Float64Array.from({ length: m * n }, () => (trial === 2 ? rng.int(3) / 2 : rng.normal()));
        const got = maxSimilarityAssignment(sim, m, n);
        expect(got.rows.length).toBe(Math.min(m, n));
        expect(new Set(got.rows).size).toBe(got.rows.length);
        expect(new Set(got.cols).size).toBe(got.cols.length);
        got.rows.forEach((r, p) => expect(got.values[p]).toBe(sim[r * n + got.cols[p]]));
        expect(got.total).toBeCloseTo(bruteForceBest(sim, m, n), 10);
      }
    }
  });

  test('absCosineMatrix equals |<a,b>| / (|a||b|) and is 0 for a zero row', () => {
    const a = Float32Array.from([3, 4, 0, 0]);
    const b = Float32Array.from([0, -1, 1, 1]);
    const c = absCosineMatrix(a, b, 2);
    expect(c[0]).toBeCloseTo(0.8, 6);
    expect(c[1]).toBeCloseTo(Math.SQRT1_2 * (7 / 5), 6);
    expect(c[2]).toBe(0);
    expect(c[3]).toBe(0);
  });
});

describe('seedStability', () => {
  test('a permuted, slightly perturbed copy shares every latent; orthogonal rows share none', async () => {
    const rng = new Rng(2);
    const D = 12;
    const N = 8;
    const a = Float32Array.from({ length: N * D }, () => rng.normal());
    const perm = rng.shuffle(Int32Array.from({ length: N }, (_, i) => i)) as Int32Array;
    const b = new Float32Array(N * D);
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) b[perm[i] * D + j] = 2 * a[i * D + j] + 0.01 * rng.normal();
    const same = await seedStability(a, b, D);
    expect(same.sharedAt09).toBe(1);
    expect(same.meanMatchedCosine).toBeGreaterThan(0.99);
    // Hand-made: 3 rows of 5 copied, 2 rows matched only to orthogonal or opposite rows.
    const e = (i: number) => Float32Array.from({ length: 6 }, (_, j) => (j === i ? 1 : 0));
    const A = Float32Array.from([...e(0), ...e(1), ...e(2), ...e(3), ...e(4)]);
    const B = Float32Array.from([...e(2), ...e(0), ...e(1), ...e(5), ...e(4).map((v) => -v)]);
    const s = await seedStability(A, B, 6);
    expect(s.sharedAt07).toBeCloseTo(3 / 5, 10);
    expect(s.sharedAt09).toBeCloseTo(3 / 5, 10);
    // Best assignment: the 3 copies (1 each), then e(3) and e(4) with {e(5), -e(4)}: 0 + 0 beats 0 + ... = 3 total.
    expect(s.meanMatchedCosine).toBeCloseTo(3 / 5, 10);
  });
});

describe('rowCosines', () => {
  test('equals the plain-JS cosineMatrix, zero rows included', async () => {
    const rng = new Rng(9);
    const a = Float32Array.from({ length: 5 * 7 }, () => rng.normal());
    const b = Float32Array.from({ length: 4 * 7 }, () => rng.normal());
    b.fill(0, 7, 14);
    const got = await rowCosines(a, b, 7);
    const want = cosineMatrix(a, b, 7);
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
  });
});

describe('KnownTruthStats', () => {
  test('a hand-computed toy: best matches, uniqueness, classification counts, MCC', async () => {
    // True features e0, e1, e2 in D = 3; latents: e0, e1, (e1 + 0.1 e0), -e2.
    const directions = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const decoder = Float32Array.from([1, 0, 0, 0, 1, 0, 0.1, 1, 0, 0, 0, -1]);
    const stats = new KnownTruthStats(decoder, directions, 3);
    expect(Array.from(stats.best)).toEqual([0, 1, 1, 2]);
    // 4 inputs: true codes and the latents' firing.
    const codes = Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0]);
    const f = Float32Array.from([1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
    const x = Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0]);
    const xhat = Float32Array.from(x, (v) => 0.5 * v);
    xhat[11] = 0.5;
    stats.add(codes, x, xhat, await rowsOf(f, 4, 4));
    const r = stats.result();
    // Latent 0 (e0): fires on rows 0; e0 on rows 0,1 -> tp 1 fp 0 fn 1: P 1, R 0.5, F1 2/3.
    // Latent 1 (e1): fires rows 1, 2; e1 on rows 1, 2 -> P 1, R 1, F1 1.
    // Latent 2 (e1): fires row 1 -> tp 1, fn 1: P 1, R 0.5, F1 2/3.
    // Latent 3 (e2): fires rows 2, 3; e2 on row 2 -> tp 1 fp 1: P 0.5, R 1, F1 2/3.
    expect(r.precision).toBeCloseTo((1 + 1 + 1 + 0.5) / 4, 10);
    expect(r.recall).toBeCloseTo((0.5 + 1 + 0.5 + 1) / 4, 10);
    expect(r.f1).toBeCloseTo((2 / 3 + 1 + 2 / 3 + 2 / 3) / 4, 10);
    expect(r.uniqueness).toBeCloseTo(3 / 4, 10);
    expect(r.claimedOnce).toBeCloseTo(2 / 3, 10);
    // Hungarian: latent 0 -> e0, latent 1 -> e1, latent 3 -> e2 (all |cos| 1); latent 2 unmatched.
    expect(r.mcc).toBeCloseTo(1, 10);
    expect(Array.from(stats.partner)).toEqual([0, 1, -1, 2]);
    expect(r.matchedF1).toBeCloseTo((2 / 3 + 1 + 2 / 3) / 3, 10);
    expect(r.trueL0).toBeCloseTo(5 / 4, 10);
    expect(r.saeL0).toBeCloseTo(6 / 4, 10);
    expect(r.deadLatents).toBe(0);
    // Shrinkage: rows 0-2 have ratio 0.5; row 3 has x = 0 (undefined ratio) and is skipped, as in SAELens.
    expect(r.shrinkage).toBeCloseTo(0.5, 10);
  });

  test('perfect recovery on the synthetic benchmark scores 1 everywhere', async () => {
    const bench = new SynthBench({
      numFeatures: 40,
      dim: 16,
      hierarchy: { roots: 2, branching: 2, depth: 2 },
      seed: 3,
    });
    const { x, codes } = bench.sample(300);
    const stats = new KnownTruthStats(bench.directions, bench.directions, 16);
    stats.add(codes, x, x, await rowsOf(codes, 300, 40));
    const r = stats.result();
    expect(r.mcc).toBeCloseTo(1, 6);
    expect(r.uniqueness).toBe(1);
    expect(r.explainedVariance).toBeCloseTo(1, 6);
    expect(r.shrinkage).toBeCloseTo(1, 6);
    expect(r.trueL0).toBeCloseTo(r.saeL0, 10);
    // Features that never fired in the sample get F1 0; all others 1.
    const firedFeatures = new Set<number>();
    for (let b = 0; b < 300; b++) for (let i = 0; i < 40; i++) if (codes[b * 40 + i] > 0) firedFeatures.add(i);
    expect(r.f1).toBeCloseTo(firedFeatures.size / 40, 10);
  });
});

describe("SynthBenchV1 generator (the preset 'gensparse-v1')", () => {
  const config = {
    numFeatures: 120,
    dim: 24,
    maxProbability: 0.3,
    minProbability: 0.01,
    hierarchy: { roots: 3, branching: 3, depth: 2, childCoverage: 0.6 },
    correlationRank: 2,
    correlationScale: 0.8,
    seed: 7,
  };

  test('marginal firing rates match the exact probabilities; the hierarchy holds on every row', () => {
    const bench = new SynthBenchV1(config);
    const n = 20000;
    const m = bench.numFeatures;
    const { codes, x } = bench.sample(n);
    const fired = new Float64Array(m);
    let active = 0;
    let orphans = 0;
    let siblingsTogether = 0;
    for (let b = 0; b < n; b++) {
      const row = codes.subarray(b * m, (b + 1) * m);
      for (let i = 0; i < m; i++) {
        if (row[i] === 0) continue;
        fired[i]++;
        active++;
        if (bench.parentOf[i] >= 0 && row[bench.parentOf[i]] === 0) orphans++;
        let on = 0;
        for (const c of bench.children[i]) if (row[c] > 0) on++;
        if (on > 1) siblingsTogether++;
      }
    }
    expect(orphans).toBe(0);
    expect(siblingsTogether).toBe(0);
    let worst = 0;
    for (let i = 0; i < m; i++) {
      const p = bench.probabilities[i];
      worst = Math.max(worst, Math.abs(fired[i] / n - p) / (Math.sqrt((p * (1 - p)) / n) + 1e-12));
    }
    expect(worst).toBeLessThan(5); // in standard deviations, over 120 features
    expect(active / n).toBeCloseTo(bench.expectedL0, 1);
    // x is the code-weighted sum of the directions.
    for (let j = 0; j < 24; j++) {
      let want = 0;
      for (let i = 0; i < m; i++) want += codes[i] * bench.directions[i * 24 + j];
      expect(x[j]).toBeCloseTo(want, 5);
    }
    // Tree layout: 3 roots x (1 + 3 + 9) nodes; a child's probability is p_parent * 0.6 / 3.
    expect(bench.top.length).toBe(m - 3 * 12); // the 3 roots are drawn directly
    const child = bench.children[0][0];
    expect(bench.probabilities[child]).toBeCloseTo((bench.probabilities[0] * 0.6) / 3, 12);
  });

  test('loadings correlate firing: aligned pairs co-fire more than independent ones; rank 0 is independent', () => {
    const correlated = new SynthBenchV1({ ...config, hierarchy: null, correlationRank: 1, correlationScale: 0.9 });
    const independent = new SynthBenchV1({ ...config, hierarchy: null, correlationRank: 0 });
    const excess = (bench: SynthBenchV1, sameSign: boolean) => {
      const n = 10000;
      const m = bench.numFeatures;
      const { codes } = bench.sample(n);
      let total = 0;
      let pairs = 0;
      for (let a = 0; a < 30; a++)
        for (let b = a + 1; b < 30; b++) {
          if (bench.rank > 0 && bench.loadings[a] * bench.loadings[b] > 0 !== sameSign) continue;
          let both = 0;
          let na = 0;
          let nb = 0;
          for (let r = 0; r < n; r++) {
            const ia = codes[r * m + a] > 0;
            const ib = codes[r * m + b] > 0;
            if (ia) na++;
            if (ib) nb++;
            if (ia && ib) both++;
          }
          total += both / n - (na / n) * (nb / n);
          pairs++;
        }
      return total / pairs;
    };
    const aligned = excess(correlated, true);
    const opposed = excess(correlated, false);
    expect(aligned).toBeGreaterThan(0.005);
    expect(opposed).toBeLessThan(0);
    expect(Math.abs(excess(independent, true))).toBeLessThan(0.002);
  });

  test('the same seed gives the same stream; an oversized hierarchy is a ConfigError', () => {
    const a = new SynthBenchV1({ ...config }).sample(5);
    const b = new SynthBenchV1({ ...config }).sample(5);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(() => new SynthBenchV1({ numFeatures: 7, hierarchy: { roots: 2, branching: 3, depth: 1 } })).toThrow(
      /needs 8/,
    );
    expect(() => new SynthBenchV1({ numFeatures: 7, hierarchy: { roots: 2, branching: 0, depth: 1 } })).toThrow(
      ConfigError,
    );
  });
});

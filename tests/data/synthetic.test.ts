import { HierarchicalData, SuperpositionData, normalQuantile, randomDirections } from '../../src/data/synthetic';
import { absorptionRate, featureRecovery } from '../../src/sae/eval/truth';
import { cosineMatrix } from '../../src/sae/eval/assignment';
import { Rng } from '../../src/core/random';

/** Counts of nonzero entries per column of a row-major [n, m] array. */
function columnCounts(codes: Float32Array, m: number): number[] {
  const counts = new Array(m).fill(0);
  for (let i = 0; i < codes.length; i++) if (codes[i] !== 0) counts[i % m]++;
  return counts;
}

/** |count/n - p| must lie within 4 binomial standard errors sqrt(p(1-p)/n). */
function expectFrequency(count: number, n: number, p: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(count / n - p)).toBeLessThanOrEqual(4 * se + 1e-12);
}

/** x computed independently as codes @ directions. */
function expectLinear(x: Float32Array, codes: Float32Array, dirs: Float32Array, n: number, m: number, d: number): void {
  let maxErr = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += codes[r * m + i] * dirs[i * d + j];
      maxErr = Math.max(maxErr, Math.abs(s - x[r * d + j]));
    }
  }
  expect(maxErr).toBeLessThan(1e-5);
}

describe('SuperpositionData', () => {
  test('shapes, unit directions, x = codes @ directions, frequencies within 4 sigma', () => {
    const m = 40;
    const d = 10;
    const n = 20000;
    const probs = Array.from({ length: m }, (_, i) => 0.01 + 0.01 * i);
    const data = new SuperpositionData({ numFeatures: m, dim: d, probability: probs, seed: 7 });
    expect(data.dim).toBe(d);
    expect(data.directions.length).toBe(m * d);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += data.directions[i * d + j] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
    const { x, codes } = data.sample(n);
    expect(x.length).toBe(n * d);
    expect(codes.length).toBe(n * m);
    columnCounts(codes, m).forEach((c, i) => expectFrequency(c, n, probs[i]));
    // Default magnitudes uniform in (0, 1].
    expect(codes.every((c) => c >= 0 && c <= 1)).toBe(true);
    expectLinear(x.subarray(0, 200 * d), codes.subarray(0, 200 * m), data.directions, 200, m, d);
  });

  test('sparse probabilities (the geometric-skip path): frequencies within 4 sigma, features independent', () => {
    const m = 300;
    const n = 20000;
    const probs = Array.from({ length: m }, (_, i) => (i % 3 === 0 ? 0.2 : i % 3 === 1 ? 0.05 : 0.002));
    const data = new SuperpositionData({ numFeatures: m, dim: 8, probability: probs, seed: 8 });
    const { codes } = data.sample(n);
    columnCounts(codes, m).forEach((c, i) => expectFrequency(c, n, probs[i]));
    // Neighbours must not interact (a skip bug would correlate them): co-firing of 0 and 1 is p0 p1.
    let both = 0;
    for (let r = 0; r < n; r++) if (codes[r * m] && codes[r * m + 1]) both++;
    expectFrequency(both, n, 0.2 * 0.05);
    // The number of active features per row has mean sum(p) (Poisson-binomial, variance sum p(1-p)).
    const mean = probs.reduce((a, b) => a + b, 0);
    const sd = Math.sqrt(probs.reduce((a, p) => a + p * (1 - p), 0) / n);
    expect(Math.abs(codes.reduce((a, c) => a + (c !== 0 ? 1 : 0), 0) / n - mean)).toBeLessThan(4 * sd);
  });

  test('seeded: same seed same stream, different seed different stream; nextBatch continues the stream', () => {
    const cfg = { numFeatures: 12, dim: 5, probability: 0.2 };
    const a = new SuperpositionData({ ...cfg, seed: 1 });
    const b = new SuperpositionData({ ...cfg, seed: 1 });
    const c = new SuperpositionData({ ...cfg, seed: 2 });
    expect(a.directions).toEqual(b.directions);
    expect(a.sample(50)).toEqual(b.sample(50));
    expect(a.nextBatch(30)).toEqual(b.nextBatch(30));
    expect(a.nextBatch(30).length).toBe(30 * 5);
    expect(c.directions).not.toEqual(a.directions);
  });

  test('magnitude laws: constant, uniform range, exponential mean; noise has the asked variance', () => {
    const n = 20000;
    const constant = new SuperpositionData({
      numFeatures: 4,
      dim: 4,
      probability: 0.5,
      magnitude: { kind: 'constant', value: 2 },
      seed: 3,
    });
    expect(constant.sample(200).codes.every((c) => c === 0 || c === 2)).toBe(true);
    const uni = new SuperpositionData({
      numFeatures: 4,
      dim: 4,
      probability: 0.5,
      magnitude: { kind: 'uniform', min: 1, max: 3 },
      seed: 3,
    });
    expect(uni.sample(200).codes.every((c) => c === 0 || (c >= 1 && c <= 3))).toBe(true);
    const exp = new SuperpositionData({
      numFeatures: 1,
      dim: 1,
      probability: 1,
      magnitude: { kind: 'exponential', mean: 1.5 },
      seed: 3,
    });
    const e = exp.sample(n).codes;
    const mean = e.reduce((s, v) => s + v, 0) / n;
    expect(Math.abs(mean - 1.5)).toBeLessThan((4 * 1.5) / Math.sqrt(n)); // exponential sd = mean
    const noisy = new SuperpositionData({ numFeatures: 3, dim: 6, probability: 0, noiseStd: 0.5, seed: 3 });
    const xs = noisy.sample(5000).x;
    const variance = xs.reduce((s, v) => s + v * v, 0) / xs.length;
    // Var of a sample variance of N(0, s^2) is 2 s^4 / N.
    expect(Math.abs(variance - 0.25)).toBeLessThan(4 * Math.sqrt(2 / xs.length) * 0.25);
  });

  test('correlation keeps the marginals and raises co-firing within groups only', () => {
    const n = 20000;
    const p = 0.1;
    const data = new SuperpositionData({
      numFeatures: 4,
      dim: 3,
      probability: p,
      correlation: 0.8,
      correlationGroupSize: 2,
      seed: 5,
    });
    const { codes } = data.sample(n);
    columnCounts(codes, 4).forEach((c) => expectFrequency(c, n, p));
    let both01 = 0;
    let both02 = 0;
    for (let r = 0; r < n; r++) {
      if (codes[r * 4] && codes[r * 4 + 1]) both01++;
      if (codes[r * 4] && codes[r * 4 + 2]) both02++;
    }
    // Independent features co-fire with probability p^2 = 0.01; the same group far more often.
    expect(both01 / n).toBeGreaterThan(0.05);
    expectFrequency(both02, n, p * p);
  });

  test('rejects bad configuration naming the argument', () => {
    expect(() => new SuperpositionData({ numFeatures: 0, dim: 3, probability: 0.1 })).toThrow(/numFeatures/);
    expect(() => new SuperpositionData({ numFeatures: 4, dim: 3, probability: 1.5 })).toThrow(/probability/);
    expect(() => new SuperpositionData({ numFeatures: 4, dim: 3, probability: [0.1, 0.2] })).toThrow(/probability/);
    expect(
      () => new SuperpositionData({ numFeatures: 4, dim: 3, probability: 0.1, directions: 'orthonormal' }),
    ).toThrow(/directions/);
    expect(() => new SuperpositionData({ numFeatures: 4, dim: 3, probability: 0.1, correlation: 1 })).toThrow(
      /correlation/,
    );
    expect(
      () =>
        new SuperpositionData({
          numFeatures: 4,
          dim: 3,
          probability: 0.1,
          magnitude: { kind: 'uniform', min: 2, max: 1 },
        }),
    ).toThrow(/magnitude.max/);
    expect(() => new SuperpositionData({ numFeatures: 4, dim: 3, probability: 0.1, noiseStd: -1 })).toThrow(/noiseStd/);
  });
});

describe('HierarchicalData', () => {
  test("the default is Nabeshima's toy: 3 parents x 3 children + 8 independent, orthonormal in d = 20", () => {
    const data = new HierarchicalData({ seed: 11 });
    expect(data.numFeatures).toBe(20);
    expect(data.dim).toBe(20);
    expect(data.parents).toEqual([0, 4, 8]);
    expect(data.children).toEqual([
      [1, 2, 3],
      [5, 6, 7],
      [9, 10, 11],
    ]);
    expect(data.independent).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    const gram = cosineMatrix(data.directions, data.directions, 20);
    for (let i = 0; i < 20; i++) for (let k = 0; k < 20; k++) expect(gram[i * 20 + k]).toBeCloseTo(i === k ? 1 : 0, 5);
  });

  test('no child without its parent, at most one child per parent, frequencies within 4 sigma', () => {
    const n = 20000;
    const data = new HierarchicalData({ seed: 12 });
    const { x, codes } = data.sample(n);
    const m = data.numFeatures;
    let orphans = 0;
    let multiple = 0;
    let parentWithChild = 0;
    let parentOn = 0;
    for (let r = 0; r < n; r++) {
      data.parents.forEach((p, k) => {
        const on = data.children[k].filter((c) => codes[r * m + c] !== 0).length;
        if (on > 0 && codes[r * m + p] === 0) orphans++;
        if (on > 1) multiple++;
        if (codes[r * m + p] !== 0) {
          parentOn++;
          if (on === 1) parentWithChild++;
        }
      });
    }
    expect(orphans).toBe(0);
    expect(multiple).toBe(0);
    // P(some child | parent) = 3 * 0.2 = 0.6.
    expectFrequency(parentWithChild, parentOn, 0.6);
    const counts = columnCounts(codes, m);
    data.parents.forEach((p) => expectFrequency(counts[p], n, 0.15));
    data.children.flat().forEach((c) => expectFrequency(counts[c], n, 0.15 * 0.2));
    data.independent.forEach((i) => expectFrequency(counts[i], n, 0.05));
    for (let i = 0; i < m; i++) expect(data.probabilities[i]).toBeCloseTo(counts[i] / n, 1);
    // Binary magnitudes by default, and x is the sum of the active directions.
    expect(codes.every((c) => c === 0 || c === 1)).toBe(true);
    expectLinear(x.subarray(0, 300 * 20), codes.subarray(0, 300 * m), data.directions, 300, m, 20);
  });

  test('custom shape and options; child probabilities that cannot be exclusive are rejected', () => {
    const data = new HierarchicalData({
      numParents: 2,
      childrenPerParent: 4,
      childProbability: 0.25,
      numIndependent: 1,
      dim: 30,
      directions: 'random',
      seed: 1,
    });
    expect(data.numFeatures).toBe(2 * 5 + 1);
    expect(Array.from(data.parentOf)).toEqual([-1, 0, 0, 0, 0, -1, 5, 5, 5, 5, -1]);
    const { codes } = data.sample(2000);
    let parentWithoutChild = 0;
    for (let r = 0; r < 2000; r++) {
      if (codes[r * 11] && !data.children[0].some((c) => codes[r * 11 + c])) parentWithoutChild++;
    }
    expect(parentWithoutChild).toBe(0); // 4 x 0.25 = 1: a firing parent always has exactly one child
    expect(() => new HierarchicalData({ childrenPerParent: 6, dim: 30 })).toThrow(/childProbability/);
    expect(() => new HierarchicalData({ numParents: 0, numIndependent: 0 })).toThrow(/numParents/);
  });
});

describe('helpers', () => {
  test('normalQuantile matches known quantiles', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 7);
    expect(normalQuantile(0)).toBe(-Infinity);
  });

  test('randomDirections gives unit rows; orthonormal rows are orthogonal', () => {
    const dirs = randomDirections(new Rng(1), 5, 5, true);
    const g = cosineMatrix(dirs, dirs, 5);
    for (let i = 0; i < 5; i++) for (let k = 0; k < 5; k++) expect(g[i * 5 + k]).toBeCloseTo(i === k ? 1 : 0, 5);
  });
});

describe('ground-truth metrics', () => {
  const d = 6;
  const truth = randomDirections(new Rng(3), 4, d, true);

  test('cosineMatrix agrees with a direct computation on scaled rows', () => {
    const rng = new Rng(4);
    const dec = Float32Array.from({ length: 3 * d }, () => rng.normal());
    const cos = cosineMatrix(truth, dec, d);
    for (let i = 0; i < 4; i++) {
      for (let k = 0; k < 3; k++) {
        const u = Array.from(truth.subarray(i * d, i * d + d));
        const v = Array.from(dec.subarray(k * d, k * d + d));
        const dot = u.reduce((s, ui, j) => s + ui * v[j], 0);
        const norm = Math.hypot(...u) * Math.hypot(...v);
        expect(cos[i * 3 + k]).toBeCloseTo(dot / norm, 5);
      }
    }
  });

  test('featureRecovery: a permuted, rescaled copy recovers everything; a negated row recovers nothing', () => {
    const perm = [2, 0, 3, 1];
    const dec = new Float32Array(5 * d);
    perm.forEach((src, k) => {
      for (let j = 0; j < d; j++) dec[k * d + j] = 3 * truth[src * d + j];
    });
    const full = featureRecovery({ decoder: dec, directions: truth, dim: d });
    expect(full.meanMaxCosine).toBeCloseTo(1, 5);
    expect(full.recovered).toBe(4);
    expect(Array.from(full.bestLatent)).toEqual([1, 3, 0, 2]);
    // Negate the row for feature 0 (latent 1): it no longer counts, and its best cosine drops to ~0.
    for (let j = 0; j < d; j++) dec[1 * d + j] *= -1;
    const partial = featureRecovery({ decoder: dec, directions: truth, dim: d });
    expect(partial.recovered).toBe(3);
    expect(partial.maxCosine[0]).toBeCloseTo(0, 5); // the zero row (latent 4) ties at 0
    expect(partial.meanMaxCosine).toBeCloseTo(0.75, 5);
  });

  test('absorptionRate: 1 when the parent latent goes silent with a child, 0 for a faithful dictionary', () => {
    const data = new HierarchicalData({ seed: 21 });
    const { codes } = data.sample(3000);
    const m = data.numFeatures;
    // A "perfect SAE": one latent per true feature, firing exactly with it.
    const faithful = featureRecovery({ decoder: data.directions, directions: data.directions, dim: 20 });
    expect(faithful.recovered).toBe(20);
    const base = {
      decoder: data.directions,
      directions: data.directions,
      dim: 20,
      parents: data.parents,
      children: data.children,
      codes,
    };
    const clean = absorptionRate({ ...base, latents: codes });
    expect(clean.rate).toBe(0);
    expect(clean.parentOnlyRecall).toBe(1);
    // An absorbing SAE: parent latents fire only when no child fires.
    const absorbed = codes.slice();
    for (let r = 0; r < 3000; r++) {
      data.parents.forEach((p, k) => {
        if (data.children[k].some((c) => codes[r * m + c])) absorbed[r * m + p] = 0;
      });
    }
    const res = absorptionRate({ ...base, latents: absorbed });
    expect(res.rate).toBe(1);
    expect(res.parentOnlyRecall).toBe(1);
    // Orthonormal true directions: the child latents do not carry u_P, so nothing is "carried".
    expect(res.carriedRate).toBe(0);
    expect(clean.carriedRate).toBe(0);
    // Now tilt each child's decoder row towards its parent, as an absorbing SAE learns (d_c = (u_c + u_P)/sqrt 2).
    const tilted = data.directions.slice();
    data.parents.forEach((p, k) =>
      data.children[k].forEach((c) => {
        for (let j = 0; j < 20; j++)
          tilted[c * 20 + j] = (data.directions[c * 20 + j] + data.directions[p * 20 + j]) / Math.SQRT2;
      }),
    );
    const carried = absorptionRate({ ...base, decoder: tilted, latents: absorbed });
    expect(carried.perParent.map((r) => r.latent)).toEqual(data.parents); // u_P itself still wins for l(P)
    expect(carried.rate).toBe(1);
    expect(carried.carriedRate).toBe(1);
    const childInputs = res.perParent.reduce((s, p) => s + p.childInputs, 0);
    expectFrequency(childInputs, 3000 * 3, 0.15 * 0.6);
    expect(() => absorptionRate({ ...base, latents: codes.subarray(1) })).toThrow(/latents/);
  });
});

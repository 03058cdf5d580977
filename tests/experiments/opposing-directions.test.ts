import { OPPOSING_THRESHOLDS, opposingDirections } from '../../experiments/opposing-directions';
import { verdictOf } from '../../src/analysis/reproduction';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('opposing-directions --quick: counts within [0, n], falling as the threshold tightens; co-firing below each rate', async () => {
  const { report } = await runQuick(opposingDirections);
  const [n] = numbersAt(report, 'nLatents');
  const [bigN] = numbersAt(report, 'big.nLatents');
  for (const [name, size] of [
    ['trainedCount', n],
    ['randomSimulatedCount', n],
    ['randomExpectedCount', n],
    ['big.count', bigN],
    ['big.expectedCount', bigN],
  ] as const) {
    const counts = numbersAt(report, name);
    expect(counts).toHaveLength(OPPOSING_THRESHOLDS.length);
    counts.forEach((c, i) => {
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(size);
      // Thresholds are listed from the strictest (-0.9) to the loosest: counts cannot fall.
      if (i > 0) expect(c).toBeGreaterThanOrEqual(counts[i - 1]);
    });
  }
  const [minCos] = numbersAt(report, 'trainedMinCosine');
  expect(minCos).toBeGreaterThanOrEqual(-1 - 1e-5);
  expect(minCos).toBeLessThanOrEqual(numbersAt(report, 'trainedMedianMinCosine')[0]);
  const pairs = report.numbers.pairs as Array<Record<string, number>>;
  expect(pairs.length).toBeGreaterThan(0);
  for (const p of pairs) {
    expectFractions([p.fireRateA, p.fireRateB, p.fireRateBoth]);
    expect(p.fireRateBoth).toBeLessThanOrEqual(Math.min(p.fireRateA, p.fireRateB));
    expect(p.cosine).toBeGreaterThanOrEqual(minCos - 1e-6);
  }
  // Per seed, the fraction against samples seen; the final point is the fraction after training.
  const seeds = numbersAt(report, 'seeds');
  expect(seeds.length).toBeGreaterThanOrEqual(3);
  const samples = numbersAt(report, 'samples');
  expect(samples[0]).toBe(0);
  for (const t of OPPOSING_THRESHOLDS) {
    const curves = numbersAt(report, `fractionCurves.below${t}`);
    expect(curves).toHaveLength(seeds.length * samples.length);
    expectFractions(curves);
    seeds.forEach((_, s) => {
      const curve = numbersAt(report, `fractionCurves.below${t}.${s}`);
      expect(numbersAt(report, `finalFraction.below${t}.${s}`)).toEqual([curve[curve.length - 1]]);
      expect(numbersAt(report, `untrainedFraction.below${t}.${s}`)).toEqual([curve[0]]);
    });
  }
  // Seed 0's count and fraction are one measurement.
  numbersAt(report, 'trainedCount').forEach((c, a) =>
    expect(numbersAt(report, `finalFraction.below${OPPOSING_THRESHOLDS[a]}.0`)[0]).toBeCloseTo(c / n, 10),
  );
  const rows = report.reproduction ?? [];
  expect(rows).toHaveLength(2);
  for (const row of rows) {
    expect(row.ours.n).toBe(seeds.length);
    expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(row).verdict);
  }
}, 300_000);

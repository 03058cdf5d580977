import { OPPOSING_THRESHOLDS, opposingDirections } from '../../experiments/opposing-directions';
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
}, 300_000);

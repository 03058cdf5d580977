import { verdictOf } from '../../src/analysis/reproduction';
import { thresholdGradientsExperiment } from '../../experiments/threshold-gradients';
import { numbersAt, runQuick } from './helpers';

test('threshold-gradients --quick: L0 in [0, n] per lambda, seed and checkpoint; thresholds under the lr x steps ceiling; variances positive; a row', async () => {
  const { report } = await runQuick(thresholdGradientsExperiment);
  const [n] = numbersAt(report, 'nLatents');
  const lambdas = numbersAt(report, 'lambdas');
  const seeds = numbersAt(report, 'seeds');
  expect(seeds.length).toBeGreaterThanOrEqual(3);
  const [theta0] = numbersAt(report, 'initialThreshold');
  for (const run of ['long', 'short']) {
    const r = report.numbers[run] as Record<string, number[][][] | number[]>;
    const seen = r.samplesSeen as number[];
    const ceiling = r.ceiling as number[];
    expect(ceiling).toHaveLength(seen.length);
    for (let c = 1; c < ceiling.length; c++) expect(ceiling[c]).toBeGreaterThan(ceiling[c - 1]);
    expect(r.heldOutL0 as number[][][]).toHaveLength(lambdas.length);
    (r.heldOutL0 as number[][][]).forEach((perSeed, li) => {
      expect(perSeed).toHaveLength(seeds.length);
      perSeed.forEach((curve, s) => {
        expect(curve).toHaveLength(seen.length);
        for (const l0 of curve) {
          expect(l0).toBeGreaterThanOrEqual(0);
          expect(l0).toBeLessThanOrEqual(n);
        }
        for (const f of (r.heldOutFvu as number[][][])[li][s]) expect(f).toBeGreaterThan(0);
        // Adam's step is at most lr (1 - beta1) / sqrt(1 - beta2) = 3.16 lr (Kingma & Ba 2015, Sec. 2.1, with
        // beta1 = 0.9, beta2 = 0.999): no threshold can pass theta_0 + 3.17 x the sum of lr, by construction.
        (r.maxThreshold as number[][][])[li][s].forEach((t, c) =>
          expect(t).toBeLessThanOrEqual(theta0 + 3.17 * (ceiling[c] - theta0)),
        );
      });
    });
  }
  const windows = numbersAt(report, 'windows');
  const variance = numbersAt(report, 'gradientVariance');
  expect(variance).toHaveLength(windows.length);
  for (const v of variance) expect(v).toBeGreaterThan(0);
  expect(numbersAt(report, 'varianceRatio')[0]).toBe(1);
  for (const l0 of numbersAt(report, 'untrainedL0')) expect(l0).toBeLessThanOrEqual(n);
  expect(report.reproduction).toHaveLength(1);
  expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(report.reproduction![0]).verdict);
}, 300_000);

import { thresholdGradientsExperiment } from '../../experiments/threshold-gradients';
import { expectSortedFront, numbersAt, runQuick } from './helpers';

test('threshold-gradients --quick: variances positive (ratio 1 at W = 0), L0 within [0, n], fronts sorted', async () => {
  const { report } = await runQuick(thresholdGradientsExperiment);
  const [n] = numbersAt(report, 'nLatents');
  const windows = numbersAt(report, 'windows');
  const variance = numbersAt(report, 'gradientVariance');
  expect(variance).toHaveLength(windows.length);
  for (const v of variance) expect(v).toBeGreaterThan(0);
  expect(numbersAt(report, 'varianceRatio')[0]).toBe(1);
  const lambdas = numbersAt(report, 'lambdas');
  for (const mode of ['off', 'on']) {
    const l0 = numbersAt(report, `l0.${mode}`);
    expect(l0).toHaveLength(lambdas.length);
    for (const v of l0) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(n);
    }
    for (const f of numbersAt(report, `fvu.${mode}`)) expect(f).toBeGreaterThan(0);
    expectSortedFront((report.numbers.frontier as Record<string, number[][]>)[mode]);
  }
}, 300_000);

import { paretoMask } from '../../src/analysis/frontier';
import { frontier } from '../../experiments/frontier';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('frontier --quick: every family scored on the character model; fronts flagged as the brute-force Pareto sets', async () => {
  const { report } = await runQuick(frontier);
  const [n] = numbersAt(report, 'nLatents');
  const families = numbersAt(report, 'familiesInOrder');
  for (const data of ['char']) {
    const fam = numbersAt(report, `${data}.family`);
    const l0 = numbersAt(report, `${data}.l0`);
    const fvu = numbersAt(report, `${data}.fvu`);
    const score = numbersAt(report, `${data}.score`);
    // Every family appears at least once.
    expect(new Set(fam)).toEqual(new Set(families));
    for (const v of l0) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(n);
    }
    for (const v of fvu) expect(v).toBeGreaterThan(0);
    const points = (ys: number[]) => l0.map((x, i) => [x, ys[i]] as [number, number]);
    expect(numbersAt(report, `${data}.fvuFront`)).toEqual(paretoMask(points(fvu), 'lower').map(Number));
    expect(numbersAt(report, `${data}.scoreFront`)).toEqual(paretoMask(points(score), 'higher').map(Number));
    expectFractions(numbersAt(report, `${data}.frontAgreement`));
  }
  // The loss recovered can exceed neither 1 by much nor be NaN.
  for (const v of numbersAt(report, 'char.score')) expect(v).toBeLessThanOrEqual(1.05);
  expect(report.figures).toHaveLength(2);
}, 300_000);

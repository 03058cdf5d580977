import { SHUFFLING_ORDERS, shuffling } from '../../experiments/shuffling';
import { numbersAt, runQuick } from './helpers';

test('shuffling --quick: one final FVU per grid point; the best is the minimum; tokens to target within the budget', async () => {
  const { report } = await runQuick(shuffling);
  const grid = numbersAt(report, 'lrs').length * numbersAt(report, 'batchSizes').length;
  const [budget] = numbersAt(report, 'budgetTokens');
  const [target] = numbersAt(report, 'targetFvu');
  const bestFinals: number[] = [];
  for (const order of SHUFFLING_ORDERS) {
    const finals = numbersAt(report, `finalFvu.${order}`);
    expect(finals).toHaveLength(grid);
    for (const f of finals) expect(f).toBeGreaterThan(0);
    const [best] = numbersAt(report, `best.${order}.finalFvu`);
    expect(best).toBe(Math.min(...finals));
    bestFinals.push(best);
    const [tokens] = numbersAt(report, `tokensToTarget.${order}`);
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(budget);
    expect([0, 1]).toContain(numbersAt(report, `reached.${order}`)[0]);
  }
  // The target is 5% above the worse tuned final, so both tuned runs reach it.
  expect(target).toBeCloseTo(1.05 * Math.max(...bestFinals), 10);
  expect(numbersAt(report, 'reached')).toEqual([1, 1]);
  const [ratio] = numbersAt(report, 'tokenRatio');
  expect(ratio).toBeCloseTo(
    numbersAt(report, 'tokensToTarget.sequential')[0] / numbersAt(report, 'tokensToTarget.shuffled')[0],
    10,
  );
  const [neighbour] = numbersAt(report, 'neighbourCosine');
  expect(Math.abs(neighbour)).toBeLessThanOrEqual(1);
}, 300_000);

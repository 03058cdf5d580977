import { verdictOf } from '../../src/analysis/reproduction';
import { SHUFFLING_ORDERS, shuffling } from '../../experiments/shuffling';
import { numbersAt, runQuick } from './helpers';

test('shuffling --quick: a held-out FVU per seed and checkpoint; every run reaches the target within its tokens; the ratio per seed; a row', async () => {
  const { report } = await runQuick(shuffling);
  const seeds = numbersAt(report, 'seeds');
  const seen = numbersAt(report, 'samplesSeen');
  const [steps] = numbersAt(report, 'steps');
  const [batch] = numbersAt(report, 'batchSize');
  expect(seeds.length).toBeGreaterThanOrEqual(3);
  expect(seen[seen.length - 1]).toBe(steps * batch);
  const [target] = numbersAt(report, 'targetFvu');
  const finals: number[] = [];
  for (const order of SHUFFLING_ORDERS) {
    const curves = (report.numbers.heldOutFvu as Record<string, number[][]>)[order];
    expect(curves).toHaveLength(seeds.length);
    for (const c of curves) {
      expect(c).toHaveLength(seen.length);
      for (const f of c) expect(f).toBeGreaterThan(0);
    }
    const final = numbersAt(report, `finalFvu.${order}`);
    expect(final).toEqual(curves.map((c) => c[c.length - 1]));
    finals.push(...final);
    // The target is 5% above the worst final, so every run reaches it by its end.
    for (const t of numbersAt(report, `tokensToTarget.${order}`)) {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(steps * batch);
    }
  }
  expect(target).toBeCloseTo(1.05 * Math.max(...finals), 10);
  const seq = numbersAt(report, 'tokensToTarget.sequential');
  const shuf = numbersAt(report, 'tokensToTarget.shuffled');
  numbersAt(report, 'tokenRatio').forEach((r, s) => expect(r).toBeCloseTo(seq[s] / shuf[s], 10));
  for (const f of numbersAt(report, 'untrainedFvu')) expect(f).toBeGreaterThan(0);
  expect(Math.abs(numbersAt(report, 'neighbourCosine')[0])).toBeLessThanOrEqual(1);
  expect(report.reproduction).toHaveLength(1);
  expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(report.reproduction![0]).verdict);
}, 300_000);

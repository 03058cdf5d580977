import { progressive } from '../../experiments/progressive';
import { expectFractions, numbersAt, runQuick } from './helpers';

test("progressive --quick: k' from k/4 to 4k in order; FVUs positive; ratios in [0, 1] with medians inside", async () => {
  const { report } = await runQuick(progressive);
  const [k] = numbersAt(report, 'k');
  const reads = numbersAt(report, 'reads');
  expect(reads).toEqual([k / 4, k / 2, k, 2 * k, 4 * k]);
  for (const name of ['multiTopKFvu', 'topkFvu', 'dedicatedFvu']) {
    const fvu = numbersAt(report, name);
    expect(fvu).toHaveLength(reads.length);
    for (const f of fvu) expect(f).toBeGreaterThan(0);
  }
  // At the trained k, the plain TopK SAE is its own dedicated SAE.
  const at = reads.indexOf(k);
  expect(numbersAt(report, 'topkFvu')[at]).toBe(numbersAt(report, 'dedicatedFvu')[at]);
  expectFractions(numbersAt(report, 'nextRatio'));
  const ratios = numbersAt(report, 'multiTopKCostRatio');
  ratios.forEach((r, i) =>
    expect(r).toBeCloseTo(numbersAt(report, 'multiTopKFvu')[i] / numbersAt(report, 'dedicatedFvu')[i], 10),
  );
}, 300_000);

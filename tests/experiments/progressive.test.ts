import { progressive } from '../../experiments/progressive';
import { verdictOf } from '../../src/analysis/reproduction';
import { expectFractions, numbersAt, runQuick } from './helpers';

test("progressive --quick: k' from k/4 to 4k, per seed; curves against samples seen; three reproduction rows", async () => {
  const { report } = await runQuick(progressive);
  const [k] = numbersAt(report, 'k');
  const seeds = numbersAt(report, 'seeds');
  expect(seeds.length).toBeGreaterThanOrEqual(3);
  const reads = numbersAt(report, 'reads');
  expect(reads).toEqual([k / 4, k / 2, k, 2 * k, 4 * k]);
  for (const name of ['multiTopKFvu', 'topkFvu', 'dedicatedFvu']) {
    const fvu = numbersAt(report, name);
    expect(fvu).toHaveLength(reads.length * seeds.length);
    for (const f of fvu) expect(f).toBeGreaterThan(0);
  }
  // At the trained k, the plain TopK SAE is its own dedicated SAE.
  const at = reads.indexOf(k);
  expect(numbersAt(report, `topkFvu.${at}`)).toEqual(numbersAt(report, `dedicatedFvu.${at}`));
  const samples = numbersAt(report, 'samples');
  expect(samples[0]).toBe(0);
  for (const arm of ['multiTopK', 'topk']) {
    expect(numbersAt(report, `curves.${arm}.fvuAtK`)).toHaveLength(seeds.length * samples.length);
    expectFractions(numbersAt(report, `curves.${arm}.nextPositive`));
  }
  // The final point of the curve is the held-out FVU read at k after training.
  const multiAtK = numbersAt(report, `multiTopKFvu.${at}`);
  seeds.forEach((_, s) => {
    const curve = numbersAt(report, `curves.multiTopK.fvuAtK.${s}`);
    expect(curve[curve.length - 1]).toBeCloseTo(multiAtK[s], 10);
  });
  const rows = report.reproduction ?? [];
  expect(rows).toHaveLength(3);
  for (const row of rows) {
    expect(row.ours.n).toBe(seeds.length);
    expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(row).verdict);
  }
}, 300_000);

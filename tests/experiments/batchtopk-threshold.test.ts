import { BATCHTOPK_MODES, batchtopkThreshold } from '../../experiments/batchtopk-threshold';
import { expectSortedFront, numbersAt, runQuick } from './helpers';

test('batchtopk-threshold --quick: batch selection keeps exactly k on average; L0 within [0, n]; fronts sorted', async () => {
  const { report } = await runQuick(batchtopkThreshold);
  const [n] = numbersAt(report, 'nLatents');
  const ks = numbersAt(report, 'ks');
  // floor(k B) entries per batch of B (the held-out rows are a whole number of batches here).
  numbersAt(report, 'l0.batch').forEach((l0, i) => expect(l0).toBeCloseTo(ks[i], 6));
  for (const mode of BATCHTOPK_MODES) {
    const l0 = numbersAt(report, `l0.${mode}`);
    expect(l0).toHaveLength(ks.length);
    for (const v of l0) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(n);
    }
    for (const f of numbersAt(report, `fvu.${mode}`)) expect(f).toBeGreaterThan(0);
    expectSortedFront((report.numbers.frontier as Record<string, number[][]>)[mode]);
  }
  for (const c of numbersAt(report, 'neverFiringPerLatent')) {
    expect(Number.isInteger(c)).toBe(true);
    expect(c).toBeLessThanOrEqual(n);
  }
  for (const t of numbersAt(report, 'globalThreshold')) expect(t).toBeGreaterThan(0);
}, 300_000);

import { BATCHTOPK_MODES, batchtopkThreshold } from '../../experiments/batchtopk-threshold';
import { verdictOf } from '../../src/analysis/reproduction';
import { numbersAt, runQuick } from './helpers';

test('batchtopk-threshold --quick: every rule on the same SAEs per k and seed; batch selection keeps exactly k; EMA curves against samples seen', async () => {
  const { report } = await runQuick(batchtopkThreshold);
  const [n] = numbersAt(report, 'nLatents');
  const ks = numbersAt(report, 'ks');
  const seeds = numbersAt(report, 'seeds');
  expect(seeds.length).toBeGreaterThanOrEqual(3);
  // By construction: floor(k B) entries per batch of B (the held-out rows are a whole number of batches here).
  ks.forEach((k, ki) => {
    for (const l0 of numbersAt(report, `l0.batch.${ki}`)) expect(l0).toBeCloseTo(k, 6);
  });
  for (const mode of BATCHTOPK_MODES) {
    const l0 = numbersAt(report, `l0.${mode}`);
    expect(l0).toHaveLength(ks.length * seeds.length);
    for (const v of l0) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(n);
    }
    for (const f of numbersAt(report, `fvu.${mode}`)) expect(f).toBeGreaterThan(0);
  }
  const samples = numbersAt(report, 'samples');
  expect(samples[0]).toBe(0);
  expect(numbersAt(report, 'emaL0OverKCurves')).toHaveLength(ks.length * seeds.length * samples.length);
  // The last point of the EMA curve is the EMA rule's held-out L0 at the end, over k.
  ks.forEach((k, ki) =>
    seeds.forEach((_, s) => {
      const curve = numbersAt(report, `emaL0OverKCurves.${ki}.${s}`);
      expect(curve[curve.length - 1]).toBeCloseTo(numbersAt(report, `l0.ema.${ki}.${s}`)[0] / k, 10);
    }),
  );
  for (const c of numbersAt(report, 'neverFiringPerLatent')) {
    expect(Number.isInteger(c)).toBe(true);
    expect(c).toBeLessThanOrEqual(n);
  }
  const rows = report.reproduction ?? [];
  expect(rows).toHaveLength(1);
  expect(rows[0].ours.n).toBe(seeds.length);
  expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(rows[0]).verdict);
}, 300_000);

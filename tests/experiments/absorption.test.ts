import { verdictOf } from '../../src/analysis/reproduction';
import { ABSORPTION_ARMS, absorption } from '../../experiments/absorption';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('absorption --quick: both settings, every arm, seed and checkpoint a rate in [0, 1]; untrained baselines; rows with verdicts', async () => {
  const { report } = await runQuick(absorption);
  for (const setting of ['toy', 'char']) {
    const ks = numbersAt(report, `${setting}.ks`);
    const seeds = numbersAt(report, `${setting}.seeds`);
    const seen = numbersAt(report, `${setting}.samplesSeen`);
    expect(seeds.length).toBeGreaterThanOrEqual(3);
    // Checkpoints count samples seen, increasing to steps x batch.
    for (let c = 1; c < seen.length; c++) expect(seen[c]).toBeGreaterThan(seen[c - 1]);
    const [steps] = numbersAt(report, `${setting}.steps`);
    const [batch] = numbersAt(report, `${setting}.batchSize`);
    expect(seen[seen.length - 1]).toBe(steps * batch);
    const [n] = numbersAt(report, `${setting}.nLatents`);
    const at = report.numbers[setting] as Record<string, Record<string, number[][][] | number[][]>>;
    for (const arm of ABSORPTION_ARMS) {
      const curves = at.absorption[arm] as number[][][];
      expect(curves).toHaveLength(ks.length);
      for (const perSeed of curves) {
        expect(perSeed).toHaveLength(seeds.length);
        for (const curve of perSeed) {
          expect(curve).toHaveLength(seen.length);
          expectFractions(curve);
        }
      }
      expectFractions((at.untrained[arm] as number[][]).flat());
      for (const l0 of (at.heldOutL0[arm] as number[][]).flat()) {
        expect(l0).toBeGreaterThanOrEqual(0);
        expect(l0).toBeLessThanOrEqual(n);
      }
    }
    // TopK's held-out L0 is k by construction (every input has k positive pre-activations at these sizes or fewer).
    (at.heldOutL0.TopK as number[][]).forEach((perSeed, ki) => {
      for (const l0 of perSeed) expect(l0).toBeLessThanOrEqual(ks[ki] + 1e-9);
    });
  }
  expectFractions(numbersAt(report, 'char.probeTestAccuracy'));
  // Four rows (two settings x two Matryoshka arms), each with a verdict by the rule.
  expect(report.reproduction).toHaveLength(4);
  for (const r of report.reproduction ?? []) {
    expect(r.ours.n).toBeGreaterThanOrEqual(3);
    expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(r).verdict);
  }
}, 300_000);

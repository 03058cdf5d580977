import { verdictOf } from '../../src/analysis/reproduction';
import { splitting } from '../../experiments/splitting';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('splitting --quick: match + split + new = 1 per width step and seed, trained and untrained; shares per checkpoint; rows with verdicts', async () => {
  const { report } = await runQuick(splitting);
  for (const setting of ['synth', 'char']) {
    const widths = numbersAt(report, `${setting}.widths`);
    const seeds = numbersAt(report, `${setting}.seeds`);
    const seen = numbersAt(report, `${setting}.samplesSeen`);
    expect(seeds.length).toBeGreaterThanOrEqual(3);
    expect(widths).toEqual([widths[0], 2 * widths[0], 4 * widths[0]]);
    const at = report.numbers[setting] as Record<string, unknown>;
    for (const key of ['final', 'untrained']) {
      const steps = at[key] as Array<Array<Record<string, number>>>;
      expect(steps).toHaveLength(widths.length - 1);
      steps.forEach((perSeed, l) => {
        expect(perSeed).toHaveLength(seeds.length);
        for (const f of perSeed) {
          expectFractions([f.match, f.split, f.new]);
          expect(f.match + f.split + f.new).toBeCloseTo(1, 10);
          // A fraction of the wider SAE's latents is a multiple of 1 / width.
          for (const v of [f.match, f.split, f.new])
            expect(Math.abs(v * widths[l + 1] - Math.round(v * widths[l + 1]))).toBeLessThan(1e-9);
        }
      });
    }
    // The last checkpoint's share is the final classification's.
    const refined = at.refinedShare as number[][][];
    const final = at.final as Array<Array<Record<string, number>>>;
    refined.forEach((perSeed, l) =>
      perSeed.forEach((curve, s) => {
        expect(curve).toHaveLength(seen.length);
        expectFractions(curve);
        expect(curve[curve.length - 1]).toBeCloseTo(final[l][s].match + final[l][s].split, 10);
      }),
    );
  }
  expectFractions(numbersAt(report, 'synth.truthMatch'));
  expect(report.reproduction).toHaveLength(2);
  for (const r of report.reproduction ?? []) {
    expect(r.baseline).not.toBeNull();
    expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(r).verdict);
  }
  expect(report.figures).toHaveLength(2);
}, 300_000);

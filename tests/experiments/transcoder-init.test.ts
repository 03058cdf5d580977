import { TRANSCODER_INIT_CONDITIONS, transcoderInit } from '../../experiments/transcoder-init';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('transcoder-init --quick: per condition and seed the untrained and final splice metrics, curves against samples seen, two rows', async () => {
  const { report } = await runQuick(transcoderInit);
  const seeds = numbersAt(report, 'seeds');
  const n = numbersAt(report, 'nLatents')[0];
  const samples = numbersAt(report, 'samples');
  expect(samples[0]).toBe(0);
  expect(samples.at(-1)).toBe(numbersAt(report, 'steps')[0] * numbersAt(report, 'batchSize')[0]);
  expect(TRANSCODER_INIT_CONDITIONS).toEqual([
    'tied+shuffled',
    'independent+shuffled',
    'tied+text-order',
    'independent+text-order',
  ]);
  for (const c of TRANSCODER_INIT_CONDITIONS) {
    for (const when of ['final', 'untrained']) {
      const dead = numbersAt(report, `${when}.dead.${c}`);
      expect(dead).toHaveLength(seeds.length);
      expectFractions(dead);
      // A count of latents over n.
      for (const d of dead) expect(Math.abs(d * n - Math.round(d * n))).toBeLessThan(1e-9);
      for (const fvu of numbersAt(report, `${when}.fvu.${c}`)) expect(fvu).toBeGreaterThan(0);
      expect(numbersAt(report, `${when}.recovered.${c}`)).toHaveLength(seeds.length);
    }
    // The curve's first and last points are the untrained and final values.
    const curve = numbersAt(report, `curves.fvu.${c}`);
    expect(curve).toHaveLength(seeds.length * samples.length);
    expect(curve[0]).toBe(numbersAt(report, `untrained.fvu.${c}`)[0]);
    expect(curve[samples.length - 1]).toBe(numbersAt(report, `final.fvu.${c}`)[0]);
  }
  expect(report.reproduction).toHaveLength(2);
  for (const row of report.reproduction ?? []) expect(row.ours.n).toBe(seeds.length);
  expect(report.figures.map((f) => f.file)).toEqual([
    'recovered-vs-samples.png',
    'fvu-vs-samples.png',
    'dead-vs-samples.png',
  ]);
}, 300_000);

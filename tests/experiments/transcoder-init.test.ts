import { TRANSCODER_INIT_CONDITIONS, transcoderInit } from '../../experiments/transcoder-init';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('transcoder-init --quick: per condition and seed a loss recovered, a positive FVU and a dead fraction in [0, 1]', async () => {
  const { report } = await runQuick(transcoderInit);
  const seeds = numbersAt(report, 'seeds');
  const n = numbersAt(report, 'nLatents')[0];
  for (const c of TRANSCODER_INIT_CONDITIONS) {
    const dead = numbersAt(report, `deadFraction.${c.id}`);
    expect(dead).toHaveLength(seeds.length);
    expectFractions(dead);
    for (const f of dead) expect(Math.abs(f * n - Math.round(f * n))).toBeLessThan(1e-9);
    for (const fvu of numbersAt(report, `fvu.${c.id}`)) expect(fvu).toBeGreaterThan(0);
    // Finite (runQuick checks), one per seed; 12 quick steps need not beat the ablation yet.
    expect(numbersAt(report, `lossRecoveredMeanAblation.${c.id}`)).toHaveLength(seeds.length);
  }
  expect(report.figures.map((f) => f.file)).toEqual(['transcoder-init.png']);
}, 300_000);

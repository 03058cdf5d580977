import { DEAD_LATENT_CONDITIONS, deadLatents } from '../../experiments/dead-latents';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('dead-latents --quick: a dead fraction in [0, 1] per condition, width and seed; FVU finite and positive', async () => {
  const { report } = await runQuick(deadLatents);
  const widths = numbersAt(report, 'widths');
  const seeds = numbersAt(report, 'seeds');
  for (const c of DEAD_LATENT_CONDITIONS) {
    const dead = numbersAt(report, `finalDeadFraction.${c.id}`);
    expect(dead).toHaveLength(widths.length * seeds.length);
    expectFractions(dead);
    // A fraction of n latents is a multiple of 1/n.
    widths.forEach((n, wi) => {
      const v = numbersAt(report, `finalDeadFraction.${c.id}.${wi}`);
      for (const f of v) expect(Math.abs(f * n - Math.round(f * n))).toBeLessThan(1e-9);
    });
    for (const fvu of numbersAt(report, `finalFvu.${c.id}`)) expect(fvu).toBeGreaterThan(0);
  }
  expect(report.figures.map((f) => f.file)).toEqual(['dead-over-training.png', 'dead-at-end.png']);
}, 300_000);

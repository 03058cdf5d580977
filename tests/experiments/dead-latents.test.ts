import { DEAD_LATENT_CONDITIONS, deadLatents } from '../../experiments/dead-latents';
import { verdictOf } from '../../src/analysis/reproduction';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('dead-latents --quick: both regimes, curves against samples seen per condition and seed, two reproduction rows', async () => {
  const { report } = await runQuick(deadLatents);
  const seeds = numbersAt(report, 'seeds');
  expect(seeds.length).toBeGreaterThanOrEqual(3);
  const [fewer, more] = [numbersAt(report, 'regimeA.features')[0], numbersAt(report, 'regimeB.features')[0]];
  // Regime a has more true features than latents, regime b the reverse.
  expect(fewer).toBeGreaterThan(numbersAt(report, 'regimeA.nLatents')[0]);
  expect(more).toBeLessThan(numbersAt(report, 'regimeB.nLatents')[0]);
  for (const regime of ['regimeA', 'regimeB']) {
    const [n] = numbersAt(report, `${regime}.nLatents`);
    const samples = numbersAt(report, `${regime}.samples`);
    expect(samples[0]).toBe(0);
    for (let i = 1; i < samples.length; i++) expect(samples[i]).toBeGreaterThan(samples[i - 1]);
    for (const c of DEAD_LATENT_CONDITIONS) {
      const dead = numbersAt(report, `${regime}.finalHeldOutDead.${c.id}`);
      expect(dead).toHaveLength(seeds.length);
      expectFractions(dead);
      // A fraction of n latents is a multiple of 1/n.
      for (const f of dead) expect(Math.abs(f * n - Math.round(f * n))).toBeLessThan(1e-9);
      for (const fvu of numbersAt(report, `${regime}.finalFvu.${c.id}`)) expect(fvu).toBeGreaterThan(0);
      for (const curve of ['fvu', 'cosine', 'heldOutDead'])
        expect(numbersAt(report, `${regime}.curves.${curve}.${c.id}`)).toHaveLength(seeds.length * samples.length);
      // The windowed dead fraction: from the first checkpoint after one dead window of inputs.
      const deadSamples = numbersAt(report, `${regime}.deadSamples`);
      expect(deadSamples[0]).toBeGreaterThanOrEqual(numbersAt(report, 'deadWindowInputs')[0]);
      expect(deadSamples[deadSamples.length - 1]).toBe(samples[samples.length - 1]);
      const windowed = numbersAt(report, `${regime}.curves.dead.${c.id}`);
      expect(windowed).toHaveLength(seeds.length * deadSamples.length);
      expectFractions(windowed);
      // By construction: a tied encoder starts as the decoder's transpose (cosine 1 before the first step).
      if (c.tiedInit)
        for (const s of seeds.keys())
          expect(numbersAt(report, `${regime}.curves.cosine.${c.id}.${s}`)[0]).toBeCloseTo(1, 5);
    }
  }
  const rows = report.reproduction ?? [];
  expect(rows).toHaveLength(2);
  for (const row of rows) {
    expect(row.ours.n).toBe(seeds.length);
    expect(row.baseline).not.toBeNull();
    expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(row).verdict);
  }
  expect(report.figures.map((f) => f.file)).toEqual([
    'dead-a.png',
    'fvu-a.png',
    'cosine-a.png',
    'dead-b.png',
    'fvu-b.png',
    'cosine-b.png',
  ]);
}, 300_000);

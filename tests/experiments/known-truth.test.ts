import { verdictOf } from '../../src/analysis/reproduction';
import { heldOutTruth } from '../../experiments/common';
import { knownTruth } from '../../experiments/known-truth';
import { SynthBench } from '../../src/data/synth-bench';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('known-truth --quick: every architecture scored at every checkpoint over seeds, beside untrained SAEs; rows follow the schema', async () => {
  const { report } = await runQuick(knownTruth);
  const [n] = numbersAt(report, 'nLatents');
  const [k] = numbersAt(report, 'k');
  const [seeds] = numbersAt(report, 'seeds');
  const samples = numbersAt(report, 'samplesSeen');
  expect(seeds).toBeGreaterThanOrEqual(3);
  // Checkpoints in increasing order of samples seen.
  for (let i = 1; i < samples.length; i++) expect(samples[i]).toBeGreaterThan(samples[i - 1]);
  const archs = Object.keys(report.numbers.perArchitecture as object);
  expect(archs).toEqual(['relu-l1', 'topk', 'batch-topk', 'jumprelu', 'gated', 'matryoshka-batch-topk', 'matryoshka']);
  for (const a of archs) {
    const at = `perArchitecture.${a}`;
    for (const m of ['f1', 'mcc', 'uniqueness']) {
      const perCheckpoint = report.numbers.perArchitecture as Record<string, Record<string, number[][]>>;
      expect(perCheckpoint[a][m]).toHaveLength(samples.length);
      for (const row of perCheckpoint[a][m]) expect(row).toHaveLength(seeds);
      expectFractions(numbersAt(report, `${at}.${m}`));
      expectFractions(numbersAt(report, `${at}.baseline.${m}`));
    }
    for (const v of numbersAt(report, `${at}.explainedVariance`)) expect(v).toBeLessThanOrEqual(1);
    for (const v of numbersAt(report, `${at}.saeL0`)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(n);
    }
    // One share per pair of seeds, trained and untrained.
    expect(numbersAt(report, `${at}.seedStability`)).toHaveLength((seeds * (seeds - 1)) / 2);
    expectFractions(numbersAt(report, `${at}.seedStability`));
    expectFractions(numbersAt(report, `${at}.randomStability`));
  }
  // TopK's L0 is k on every input by construction.
  for (const v of numbersAt(report, 'perArchitecture.topk.saeL0')) expect(v).toBeCloseTo(k, 6);
  // The controlled architectures report their final coefficients, one per seed, positive.
  for (const a of ['relu-l1', 'jumprelu', 'gated']) {
    const c = numbersAt(report, `perArchitecture.${a}.finalCoefficient`);
    expect(c).toHaveLength(seeds);
    for (const v of c) expect(v).toBeGreaterThan(0);
  }
  // Reproduction rows: the schema holds (runQuick checked checkRow) and each has a verdict by the rule.
  const rows = report.reproduction ?? [];
  expect(rows.length).toBeGreaterThanOrEqual(9);
  for (const row of rows) {
    expect(row.setting.seeds).toHaveLength(seeds);
    expect(row.setting.samplesSeen).toBe(samples[samples.length - 1]);
    expect(['reproduced', 'not reproduced', 'inconclusive']).toContain(verdictOf(row).verdict);
  }
  expect(report.figures.map((f) => f.file)).toEqual([
    'f1.png',
    'mcc.png',
    'uniqueness.png',
    'explainedVariance.png',
    'saeL0.png',
    'seed-stability.png',
  ]);
}, 300_000);

test('heldOutTruth replays one fixed draw of the generator: the same rows after a rewind, the generator drawn once', () => {
  const bench = new SynthBench({ seed: 4, numFeatures: 64, dim: 16, hierarchy: { roots: 2, branching: 2, depth: 2 } });
  const copy = new SynthBench({ seed: 4, numFeatures: 64, dim: 16, hierarchy: { roots: 2, branching: 2, depth: 2 } });
  const held = heldOutTruth(bench, 10);
  const expected = copy.sample(10);
  // The generator moved past the held-out rows: its next draw is the copy's next one.
  expect(bench.sample(3).x).toEqual(copy.sample(3).x);
  const first = held.sample(7);
  expect(first.x).toEqual(expected.x.subarray(0, 7 * 16));
  expect(first.codes).toEqual(expected.codes.subarray(0, 7 * 64));
  // Wraps after the 10th row; a rewind replays from the start.
  const wrap = held.sample(5);
  expect(wrap.x.subarray(0, 3 * 16)).toEqual(expected.x.subarray(7 * 16));
  expect(wrap.x.subarray(3 * 16)).toEqual(expected.x.subarray(0, 2 * 16));
  held.setState({ cursor: 0 });
  expect(held.sample(10).x).toEqual(expected.x);
  expect(held.directions).toBe(bench.directions);
});

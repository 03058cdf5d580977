/**
 * The reproduction table (src/analysis/reproduction.ts): the verdict rule case by case, the
 * checks that keep an unsupported row out, the markdown, the `--reproduction` command's collection from
 * report files, and the /experiments page rendering the same cells (escaped).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type ReproductionRow,
  checkRow,
  reproductionCells,
  reproductionMarkdown,
  verdictOf,
} from '../../src/analysis/reproduction';
import { type MeanInterval, meanInterval } from '../../src/analysis/stats';
import { InputError } from '../../src/base/errors';
import { readReport, reportProblems, writeReport } from '../../experiments/report';
import { reproductionRows, reproductionTable } from '../../experiments/table';
import { makeReportsDir, serveReports } from '../experiments/fixture';

const iv = (values: number[]): MeanInterval => meanInterval(values);

/** A comparative row: tied vs untied dead fraction, both above an untrained baseline. */
function row(overrides: Partial<ReproductionRow> = {}): ReproductionRow {
  return {
    claim: 'tied init leaves fewer dead latents than untied',
    source: 'Gao et al. 2024, App. C.1',
    published: 'tied + AuxK: ~7% dead at 16M latents',
    metric: 'dead fraction',
    setting: { sizes: 'd = 64, n = 512, k = 8', samplesSeen: 614400, lr: 2e-4, seeds: [0, 1, 2] },
    ours: iv([0.1, 0.11, 0.12]),
    comparison: iv([0.3, 0.32, 0.31]),
    comparisonLabel: 'untied',
    baseline: iv([0.9, 0.92, 0.91]),
    expect: { relation: 'less', than: 'comparison' },
    ...overrides,
  };
}

test('the verdict rule: baseline overlap, then arm overlap, then the claimed direction', () => {
  expect(verdictOf(row()).verdict).toBe('reproduced');
  // Our interval reaches the untrained baseline: inconclusive, whatever the arms say.
  const nearBaseline = verdictOf(row({ baseline: iv([0.1, 0.12, 0.14]) }));
  expect(nearBaseline.verdict).toBe('inconclusive');
  expect(nearBaseline.reason).toMatch(/overlaps the untrained baseline/);
  // The two arms' intervals overlap: inconclusive.
  const overlap = verdictOf(row({ comparison: iv([0.09, 0.13, 0.2]) }));
  expect(overlap.verdict).toBe('inconclusive');
  expect(overlap.reason).toMatch(/overlaps untied/);
  // Separated, but the wrong way: not reproduced, with the measurement and the stated reason.
  const wrong = verdictOf(
    row({ ours: iv([0.35, 0.36, 0.37]), reason: 'the untied SAE was still untrained (encoder-decoder cosine 0.08)' }),
  );
  expect(wrong.verdict).toBe('not reproduced');
  expect(wrong.reason).toMatch(/^ours 0\.360 \[.*\] is greater than untied .*: the untied SAE was still untrained/);
  // Against a number: the whole interval on the claimed side, or it contains the number.
  const above = (values: number[], than: number) =>
    verdictOf(row({ ours: iv(values), comparison: undefined, expect: { relation: 'greater', than } })).verdict;
  expect(above([0.5, 0.52, 0.54], 0.4)).toBe('reproduced');
  expect(above([0.5, 0.52, 0.54], 0.52)).toBe('inconclusive');
  expect(above([0.5, 0.52, 0.54], 0.6)).toBe('not reproduced');
});

test('a claim at matched L0 whose arms ran at L0s more than 20% apart is inconclusive, whatever the intervals say', () => {
  // Within 20% of the smaller L0 (4.55 against 5: 9.9%): the rule reads the intervals as before.
  expect(verdictOf(row({ l0: { ours: 4.55, comparison: 5 } })).verdict).toBe('reproduced');
  expect(verdictOf(row({ l0: { ours: 6, comparison: 5 } })).verdict).toBe('reproduced'); // exactly 20%
  // 19.7 against 5: separated intervals, but not the comparison the claim is about.
  const unmatched = verdictOf(row({ l0: { ours: 19.7, comparison: 5 } }));
  expect(unmatched.verdict).toBe('inconclusive');
  expect(unmatched.reason).toBe("not at matched L0: held-out L0 19.7 against untied's 5, more than 20% apart");
  expect(verdictOf(row({ l0: { ours: 5, comparison: 6.01 } })).verdict).toBe('inconclusive');
  expect(() => checkRow(row({ l0: { ours: 0, comparison: 5 } }))).toThrow(
    /^row\.l0\.ours: must be a finite L0 > 0, got 0/,
  );
  expect(() => checkRow(row({ l0: { ours: 5, comparison: Number.NaN } }))).toThrow(/l0\.comparison/);
  expect(() =>
    checkRow(row({ comparison: undefined, expect: { relation: 'less', than: 0.5 }, l0: { ours: 5, comparison: 5 } })),
  ).toThrow(/^row\.l0: compares L0s, and the row has no comparison arm/);
});

test('rows the table cannot show honestly are refused by name', () => {
  expect(() => checkRow(row({ ours: iv([0.1, 0.2]), setting: { ...row().setting, seeds: [0, 1] } }))).toThrow(
    /at least 3 seeds/,
  );
  expect(() => checkRow(row({ setting: { ...row().setting, seeds: [0, 1] } }))).toThrow(/lists 2 seeds/);
  expect(() => checkRow(row({ comparison: undefined }))).toThrow(/comparison: is missing/);
  expect(() => checkRow(row({ baseline: null }))).toThrow(/why the row has no untrained baseline/);
  expect(() => checkRow(row({ claim: ' ' }))).toThrow(InputError);
  expect(() =>
    checkRow(row({ baseline: null, note: 'dead fraction has no untrained analogue at this window' })),
  ).not.toThrow();
});

test('markdown: a header, one line per row with seeds, interval, baseline and verdict; pipes escaped', () => {
  const md = reproductionMarkdown([row(), row({ claim: 'a | b' })]).split('\n');
  expect(md).toHaveLength(4);
  expect(md[0]).toBe(
    '| claim | source | published | our setting | ours: mean [95% interval] | untrained baseline | verdict |',
  );
  const cells = reproductionCells(row());
  expect(cells[3]).toBe('d = 64, n = 512, k = 8; 614,400 samples; lr 0.0002; seeds 0, 1, 2');
  expect(cells[4]).toMatch(/^dead fraction: 0\.110 \[0\.0852, 0\.135\] vs untied 0\.310 \[/);
  expect(cells[6]).toMatch(/^reproduced \(/);
  expect(md[3]).toContain('a \\| b');
});

test('rows travel in report.json: the docs/results.md table collects them, the /experiments page shows them escaped', async () => {
  const dir = makeReportsDir();
  const file = path.join(dir, 'toy-run', 'report.json');
  const report = readReport(file);
  writeReport(path.join(dir, 'toy-run'), { ...report, reproduction: [row(), row({ claim: '<b>bold</b> claim' })] });
  expect(reportProblems(path.join(dir, 'toy-run'), readReport(file))).toEqual([]);
  const broken = { ...report, reproduction: [row({ ours: iv([0.1, 0.2]) })] };
  expect(reportProblems(path.join(dir, 'toy-run'), broken)[0]).toMatch(/reproduction\.0\.ours/);
  // The `--reproduction` command reads every experiment's committed report; this folder holds none of them.
  expect(reproductionRows(dir)).toEqual([]);
  expect(reproductionTable(dir)).toBe('No committed report has reproduction rows yet.');
  const site = await serveReports(dir);
  try {
    const html = await (await fetch(`${site.base}/experiments`)).text();
    expect(html).toContain('<table class="reproduction">');
    expect(html).toContain('<td>tied init leaves fewer dead latents than untied</td>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt; claim');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toMatch(/<td>reproduced \(ours 0\.110 \[/);
  } finally {
    await site.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

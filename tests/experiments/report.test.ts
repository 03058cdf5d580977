import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { STUDIES } from '../../experiments';
import { type StudyReport, flattenNumbers, readReport, reportProblems, writeReport } from '../../experiments/report';
import { commandOf } from '../../experiments/run';
import { experimentsTable, reproductionRows, reproductionTable } from '../../experiments/table';

const report: StudyReport = {
  name: 'x',
  title: 'X',
  question: 'Why?',
  command: 'npm run experiment -- x',
  seed: 3,
  quick: true,
  wallSeconds: 1.5,
  backend: 'wasm',
  finishedAt: '2026-11-30T00:00:00.000Z',
  summary: 'Found **this**.',
  numbers: { a: 1, b: [2, 3], c: { d: 4, e: [{ f: 5 }] } },
  figures: [],
};

test('flattenNumbers names every number by its path, arrays by index', () => {
  expect(flattenNumbers(report.numbers)).toEqual([
    ['a', 1],
    ['b.0', 2],
    ['b.1', 3],
    ['c.d', 4],
    ['c.e.0.f', 5],
  ]);
  expect(() => flattenNumbers({ a: 'text' as unknown as number })).toThrow(/numbers\.a/);
});

test('a written report reads back; non-finite numbers and missing figures are reported as problems', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-report-'));
  writeReport(dir, report);
  expect(readReport(path.join(dir, 'report.json'))).toEqual(report);
  expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toBe('# X\n\nFound **this**.\n');
  expect(reportProblems(dir, report)).toEqual([]);
  const bad = {
    ...report,
    numbers: { a: Number.NaN, b: [Number.POSITIVE_INFINITY] },
    figures: [{ file: 'gone.png', title: 't', caption: 'c' }],
  };
  expect(reportProblems(dir, bad)).toEqual(['a = NaN', 'b.0 = Infinity', 'missing figure gone.png']);
});

test('the command of a run reproduces its options', () => {
  expect(commandOf('shuffling', { quick: true, seed: 7 })).toBe('npm run experiment -- shuffling --quick --seed 7');
  expect(commandOf('frontier', { quick: false, seed: 0, outDir: '/tmp/f' })).toBe(
    'npm run experiment -- frontier --seed 0 --out /tmp/f',
  );
});

test('the CLI lists every experiment by name', () => {
  const out = execFileSync('npx', ['tsx', 'experiments/cli.ts', '--list'], { encoding: 'utf8' });
  const names = out
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/)[0]);
  expect(names).toEqual(STUDIES.map((e) => e.name));
  expect(new Set(names).size).toBe(names.length);
});

test('docs/results.md and the README hold the tables `--table` and `--reproduction` print from the committed reports', () => {
  const results = fs.readFileSync(path.join(__dirname, '../../docs/results.md'), 'utf8');
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  expect(results).toContain(experimentsTable());
  // Until an experiment commits reproduction rows, `--reproduction` prints one line, not a table.
  if (reproductionRows().length > 0) {
    expect(results).toContain(reproductionTable());
    expect(readme).toContain(reproductionTable());
  } else expect(reproductionTable()).toBe('No committed report has reproduction rows yet.');
});

test('the results table has one row per experiment, each with its command', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exp-table-'));
  const lines = experimentsTable(dir).split('\n');
  expect(lines).toHaveLength(2 + STUDIES.length);
  STUDIES.forEach((e, i) => {
    expect(lines[2 + i]).toContain(`npm run experiment -- ${e.name}`);
    expect(lines[2 + i]).toContain('no committed full run');
  });
});

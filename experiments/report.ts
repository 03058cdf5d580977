/**
 * Writes, reads and checks the report every study writes (report.json, summary.md and the PNG
 * figures in one folder, read by the /experiments pages and quoted by docs/results.md; the schema,
 * `StudyReport`, is src/analysis/report.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRow } from '../src/analysis/reproduction';
import type { FigureEntry, NumberValue, Numbers, StudyReport } from '../src/analysis/report';
import { InputError } from '../src/base/errors';

/** The schema's types, for the studies. */
export type { FigureEntry, NumberValue, Numbers, StudyReport };

/** Every number in the tree with its dotted path (arrays indexed: `widths.2`). */
export function flattenNumbers(numbers: Numbers, prefix = ''): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const visit = (value: unknown, at: string) => {
    if (typeof value === 'number') out.push([at, value]);
    else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${at}.${i}`));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, at ? `${at}.${k}` : k);
    } else throw new InputError(`numbers.${at}`, `must be a number, an array or an object, got ${String(value)}`);
  };
  visit(numbers, prefix);
  return out;
}

/** Writes report.json and summary.md into `report`'s folder (created) and returns the report path. */
export function writeReport(outDir: string, report: StudyReport): string {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'report.json');
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'summary.md'), `# ${report.title}\n\n${report.summary.trim()}\n`);
  return file;
}

/** Reads a report.json back, checking the fields the page relies on. */
export function readReport(file: string): StudyReport {
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as StudyReport;
  const required = ['name', 'title', 'question', 'command', 'summary', 'numbers', 'figures', 'wallSeconds'] as const;
  for (const field of required) {
    if (report[field] === undefined) throw new InputError(file, `has no '${field}'`);
  }
  return report;
}

/**
 * The consistency problems of a report (empty when none): every number finite, every figure
 * file present, the summary and question non-empty. Study tests add their own checks.
 */
export function reportProblems(outDir: string, report: StudyReport): string[] {
  const problems: string[] = [];
  if (!report.summary.trim()) problems.push('empty summary');
  if (!report.question.trim()) problems.push('empty question');
  for (const [at, v] of flattenNumbers(report.numbers)) if (!Number.isFinite(v)) problems.push(`${at} = ${v}`);
  for (const f of report.figures) {
    if (!fs.existsSync(path.join(outDir, f.file))) problems.push(`missing figure ${f.file}`);
    if (!f.caption.trim()) problems.push(`figure ${f.file} has no caption`);
  }
  if (!(report.wallSeconds >= 0)) problems.push(`wallSeconds = ${report.wallSeconds}`);
  (report.reproduction ?? []).forEach((row, i) => {
    try {
      checkRow(row, `reproduction.${i}`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  });
  return problems;
}

/**
 * The report every experiment writes (the /experiments page and the README read it):
 *
 *   <out>/report.json   { name, title, question, command, seed, quick, wallSeconds, backend,
 *                         finishedAt, summary, numbers, figures: [{ file, title, caption }] }
 *   <out>/summary.md    the same summary (markdown: what was found, numbers as measured)
 *   <out>/*.png         the figures, drawn by the chart stack (src/charts)
 *
 * `numbers` holds every number the summary quotes, as a tree of named numbers and arrays:
 * tests check it for consistency, the README table quotes its headline entries.
 * `reproduction` (optional) holds the rows of the reproduction table this experiment measures
 * (src/analysis/reproduction.ts: claim, source, published number, our setting, mean and 95%
 * interval over seeds, untrained baseline, verdict by one rule).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkRow, type ReproductionRow } from '../src/analysis/reproduction';
import { InputError } from '../src/base/errors';

/** A tree of named numbers (arrays for per-width, per-step or per-seed values). */
export type NumberValue = number | NumberValue[] | Numbers;
export interface Numbers {
  [name: string]: NumberValue;
}

/** One figure of a report: a PNG beside report.json. */
export interface FigureEntry {
  /** File name inside the report folder. */
  file: string;
  title: string;
  /** What the figure shows and what to look for. */
  caption: string;
}

/** What report.json holds. */
export interface StudyReport {
  name: string;
  title: string;
  question: string;
  /** The command that reproduces this run. */
  command: string;
  seed: number;
  quick: boolean;
  wallSeconds: number;
  /** The tfjs backend it ran on. */
  backend: string;
  /** ISO time the run finished. */
  finishedAt: string;
  /** Markdown: what was found, numbers as measured. */
  summary: string;
  numbers: Numbers;
  figures: FigureEntry[];
  /** Rows of the reproduction table (published claims this run measures over seeds). */
  reproduction?: ReproductionRow[];
}

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

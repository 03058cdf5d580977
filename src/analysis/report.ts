/**
 * The schema of report.json, the report every research study writes (experiments/report.ts writes
 * and checks it; the /experiments pages read it):
 *
 *   <out>/report.json   { name, title, question, command, seed, quick, wallSeconds, backend,
 *                         finishedAt, summary, numbers, figures: [{ file, title, caption }] }
 *   <out>/summary.md    the same summary (markdown: what was found, numbers as measured)
 *   <out>/*.png         the figures, drawn by the chart stack (src/charts)
 *
 * `numbers` holds every number the summary quotes, as a tree of named numbers and arrays:
 * tests check it for consistency, the table in docs/results.md quotes its headline entries.
 * `reproduction` (optional) holds the rows of the reproduction table this study measures
 * (reproduction.ts: claim, source, published number, our setting, mean and 95% interval over
 * seeds, untrained baseline, verdict by one rule).
 */
import type { ReproductionRow } from './reproduction';

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

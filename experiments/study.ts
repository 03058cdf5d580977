/**
 * The shape of one research study (what `npm run experiment -- <name>` runs) and the context the
 * runner hands it; named Study so it is not confused with a lesson's Experiment (src/lesson). A
 * study is a module `experiments/<name>.ts` exporting a `Study`: it trains what it needs (with
 * progress bars), draws its figures through `ctx.figure`, and returns its summary and
 * numbers; the runner times it and writes the report (report.ts).
 */
import * as path from 'node:path';
import type { ReproductionRow } from '../src/analysis/reproduction';
import type { ChartSpec } from '../src/charts';
import { writeChartPng } from '../src/charts/node';
import { progressBar } from '../src/core/progress';
import type { TrainCallbacks } from '../src/core/train';
import type { FigureEntry, Numbers } from './report';

/** What the runner gives an experiment. */
export interface StudyContext {
  /** The small configuration of the tests (seconds), or the full one (minutes). */
  quick: boolean;
  /** Seed of everything random in the run. */
  seed: number;
  /** The report folder. */
  outDir: string;
  /** Draws `spec` to `<outDir>/<file>` and lists it in the report. */
  figure(file: string, spec: ChartSpec, caption: string): void;
  /** A progress bar for a loop of `total` logged steps (silent when the runner is quiet). */
  progress(label: string, total: number): TrainCallbacks;
  /** One line of progress text (stderr, unless quiet). */
  log(line: string): void;
}

/** What an experiment returns. */
export interface StudyResult {
  /** Markdown: what was found, with the numbers as measured. */
  summary: string;
  numbers: Numbers;
  /** Rows of the reproduction table this study measures (src/analysis/reproduction.ts). */
  reproduction?: ReproductionRow[];
}

/** One experiment. */
export interface Study {
  /** The CLI name (`npm run experiment -- <name>`). */
  name: string;
  title: string;
  /** The research question, one or two sentences. */
  question: string;
  run(ctx: StudyContext): Promise<StudyResult>;
}

/** Builds the context of one run; `figures` collects what `figure` drew. */
export function makeContext(options: {
  quick: boolean;
  seed: number;
  outDir: string;
  quiet?: boolean;
  figures: FigureEntry[];
}): StudyContext {
  const { quick, seed, outDir, quiet = false, figures } = options;
  return {
    quick,
    seed,
    outDir,
    figure(file, spec, caption) {
      writeChartPng(path.join(outDir, file), spec);
      figures.push({ file, title: spec.title, caption });
    },
    progress(label, total) {
      return quiet ? {} : progressBar({ label, total, show: ['loss', 'l0', 'fvu', 'deadFraction'] });
    },
    log(line) {
      if (!quiet) process.stderr.write(`${line}\n`);
    },
  };
}

/** Runs one experiment: times it, collects its figures and writes its report (report.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type Study, makeContext } from './study';
import { type StudyReport, type FigureEntry, writeReport } from './report';

/** Options of `runStudy`. */
export interface RunOptions {
  quick?: boolean;
  seed?: number;
  /** Report folder. Default experiments/reports/<name> (quick runs: experiments/reports/<name>-quick). */
  outDir?: string;
  /** No progress output (tests). */
  quiet?: boolean;
}

/** The default report folder of an experiment. */
export function defaultOutDir(name: string, quick: boolean): string {
  return path.join(__dirname, 'reports', quick ? `${name}-quick` : name);
}

/** The command line that reproduces a run. */
export function commandOf(name: string, options: { quick: boolean; seed: number; outDir?: string }): string {
  const parts = ['npm run experiment --', name];
  if (options.quick) parts.push('--quick');
  parts.push('--seed', String(options.seed));
  if (options.outDir) parts.push('--out', options.outDir);
  return parts.join(' ');
}

/** Runs `experiment` and writes its report; returns the report. */
export async function runStudy(experiment: Study, options: RunOptions = {}): Promise<StudyReport> {
  const quick = options.quick ?? false;
  const seed = options.seed ?? 0;
  const outDir = options.outDir ?? defaultOutDir(experiment.name, quick);
  fs.mkdirSync(outDir, { recursive: true });
  // Figures of an earlier run in the same folder must not linger beside the new report.
  for (const f of fs.readdirSync(outDir)) if (f.endsWith('.png')) fs.rmSync(path.join(outDir, f));
  const figures: FigureEntry[] = [];
  const ctx = makeContext({ quick, seed, outDir, quiet: options.quiet, figures });
  const started = performance.now();
  const result = await experiment.run(ctx);
  const wallSeconds = (performance.now() - started) / 1000;
  const report: StudyReport = {
    name: experiment.name,
    title: experiment.title,
    question: experiment.question,
    command: commandOf(experiment.name, { quick, seed, outDir: options.outDir }),
    seed,
    quick,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    backend: tf.getBackend(),
    finishedAt: new Date().toISOString(),
    summary: result.summary,
    numbers: result.numbers,
    figures,
    ...(result.reproduction ? { reproduction: result.reproduction } : {}),
  };
  writeReport(outDir, report);
  return report;
}

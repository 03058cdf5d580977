import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Study } from '../../experiments/study';
import { type StudyReport, flattenNumbers, readReport, reportProblems } from '../../experiments/report';
import { runStudy } from '../../experiments/run';
import { tempDir } from '../setup/temp-dir';

/**
 * Runs `experiment --quick` into a fresh folder and checks what every report must satisfy:
 * report.json readable, every number finite, every figure present, no tensors left behind.
 */
export async function runQuick(experiment: Study, seed = 0): Promise<{ report: StudyReport; dir: string }> {
  const dir = tempDir(`exp-${experiment.name}-`);
  const before = tf.memory().numTensors;
  await runStudy(experiment, { quick: true, seed, outDir: dir, quiet: true });
  expect(tf.memory().numTensors).toBe(before);
  const report = readReport(path.join(dir, 'report.json'));
  expect(reportProblems(dir, report)).toEqual([]);
  expect(report.name).toBe(experiment.name);
  expect(report.quick).toBe(true);
  expect(report.figures.length).toBeGreaterThan(0);
  expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain(report.summary.trim().slice(0, 40));
  return { report, dir };
}

/** Every number under `numbers.<at>` (flattened). */
export function numbersAt(report: StudyReport, at: string): number[] {
  return flattenNumbers(report.numbers)
    .filter(([p]) => p === at || p.startsWith(`${at}.`))
    .map(([, v]) => v);
}

/** Asserts every value is a fraction in [0, 1]. */
export function expectFractions(values: number[]): void {
  expect(values.length).toBeGreaterThan(0);
  for (const v of values) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
}

/** A Pareto front of minimised (x, y): x strictly increasing, y strictly decreasing. */
export function expectSortedFront(points: number[][]): void {
  expect(points.length).toBeGreaterThan(0);
  for (let i = 1; i < points.length; i++) {
    expect(points[i][0]).toBeGreaterThan(points[i - 1][0]);
    expect(points[i][1]).toBeLessThan(points[i - 1][1]);
  }
}

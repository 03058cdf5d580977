/**
 * `gensparse eval`: evaluates an SAELens folder on activation rows with `evaluateSae` (FVU with
 * numerator and denominator summed over the whole set, L0, dead fraction, relative reconstruction
 * bias, the density histogram), prints the record as JSON and writes the density histogram as a PNG.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeChartPng } from '../charts/node';
import { writeFileAtomic } from '../core/checkpoint';
import { InputError } from '../core/errors';
import type { SaeEvaluation } from '../sae/metrics';
import { evaluateSae } from '../sae/metrics';
import type { SparseAutoencoder } from '../sae/base';
import { loadSaeLens } from '../sae/saelens';
import { defaultRowsInMemory, openRowSet } from './data';
import { densityChart } from './density-chart';

/** Rows per forward pass in an evaluation (`gensparse eval --batch-size`'s default and train's final evaluation). */
export const EVAL_BATCH_SIZE = 1024;

/** The JSON record `gensparse eval` prints: the evaluation without the per-latent density array. */
export interface EvaluationRecord extends Omit<SaeEvaluation, 'density'> {
  sae: string;
  data: string;
  /** The rows evaluated: [firstRow, firstRow + rows) of the data. */
  firstRow: number;
  rows: number;
  /** Latents that fired on none of the rows. */
  deadLatents: number;
  latents: number;
}

/** The printable record of an evaluation. */
export function evaluationRecord(
  result: SaeEvaluation,
  where: { sae: string; data: string; firstRow: number; rows: number },
): EvaluationRecord {
  const { density, ...rest } = result;
  const deadLatents = density.filter((d) => d === 0).length;
  return { ...where, ...rest, deadLatents, latents: density.length };
}

/** The options of `gensparse eval`, parsed. */
export interface EvalOptions {
  sae: string;
  data: string;
  tensor?: string;
  /** First row evaluated. */
  firstRow: number;
  /** Rows evaluated (default: all from firstRow, at most `defaultRowsInMemory`). */
  rows?: number;
  batchSize: number;
  /** Folder for eval.json and density.png. */
  out: string;
}

/** Runs `gensparse eval`; returns the record and the files written. */
/** `--sae` must be an SAELens folder; a run folder (what `gensparse train --out` wrote) is named as such. */
function checkSaeFolder(sae: string): void {
  if (!fs.existsSync(sae)) throw new InputError('--sae', `${sae} does not exist`);
  if (!fs.existsSync(path.join(sae, 'cfg.json')) && fs.existsSync(path.join(sae, 'sae', 'cfg.json')))
    throw new InputError('--sae', `${sae} is a training run's folder; its SAE is ${path.join(sae, 'sae')}`);
}

export async function runEval(opts: EvalOptions): Promise<{ record: EvaluationRecord; files: string[] }> {
  checkSaeFolder(opts.sae);
  const rowSet = openRowSet(opts.data, { tensor: opts.tensor });
  let sae: SparseAutoencoder;
  try {
    sae = loadSaeLens(opts.sae);
  } catch (e) {
    rowSet.close();
    throw e;
  }
  try {
    if (rowSet.dim !== sae.dIn)
      throw new InputError('--data', `rows have dim ${rowSet.dim}, but the SAE's d_in is ${sae.dIn}`);
    if (opts.firstRow >= rowSet.rows)
      throw new InputError(
        '--first-row',
        `must be below the ${rowSet.rows} rows of ${opts.data}, got ${opts.firstRow}`,
      );
    const available = rowSet.rows - opts.firstRow;
    const rows = opts.rows === undefined ? Math.min(available, defaultRowsInMemory(rowSet.dim)) : opts.rows;
    if (rows > available)
      throw new InputError(
        '--rows',
        `${rows} rows from row ${opts.firstRow} exceed the ${rowSet.rows} rows of the data`,
      );
    const result = await evaluateSae(sae, rowSet.readRows(opts.firstRow, rows), { batchSize: opts.batchSize });
    const record = evaluationRecord(result, { sae: opts.sae, data: opts.data, firstRow: opts.firstRow, rows });
    fs.mkdirSync(opts.out, { recursive: true });
    const json = path.join(opts.out, 'eval.json');
    writeFileAtomic(json, `${JSON.stringify(record, null, 2)}\n`);
    const chart = densityChart({ ...result.densityHistogram, dead: record.deadLatents, latents: record.latents });
    const png = writeChartPng(path.join(opts.out, 'density.png'), chart, { scale: 1 });
    return { record, files: [json, png] };
  } finally {
    sae.dispose();
    rowSet.close();
  }
}

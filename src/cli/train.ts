/**
 * `gensparse train`: trains an SAE on activation files and writes, under `--out`:
 *
 *   run.json            the command's settings (enough to repeat the run) and the data split
 *   metrics.jsonl       one JSON record per reported step: {"step", "inputs", "loss", "mse", "l0", ...}
 *   checkpoint/         the latest periodic checkpoint: an SAELens folder whose cfg.json metadata also
 *                       holds the step and inputs seen (saved as a whole, so they always agree)
 *   trainer-state/      the same step's full training state for `--resume` (SaeTrainer.getState():
 *                       parameters, Adam moments, schedule, firing statistics, random streams and
 *                       the shuffling buffer's position), a `saveCheckpoint` folder
 *   sae/                the final SAE as an SAELens v6 folder (cfg.json + sae_weights.safetensors)
 *   eval.json           `evaluateSae` of the saved folder on the held-out rows
 *
 * The final folder is reloaded and its weights compared bit for bit with the trained model's
 * before the command reports success; the evaluation runs on the reloaded copy, so eval.json
 * describes exactly the files a user gets.
 *
 * Resuming: each checkpoint writes trainer-state/ first, then checkpoint/, each folder atomically
 * (a kill leaves the complete old or the complete new folder). `--resume` reads only
 * trainer-state/ (it holds the parameters too), so a kill between the two saves costs nothing:
 * the run continues from the newer state and the final SAELens weights are bit-identical to a run
 * never stopped. `--stop-after S` ends a run after step S with a checkpoint (time-limited jobs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadCheckpoint, readJsonObject, saveCheckpoint, writeFileAtomic } from '../core/checkpoint';
import { InputError } from '../core/errors';
import { progressBar } from '../core/progress';
import type { TrainCallbacks, TrainState } from '../core/train';
import { ActivationBuffer } from '../data/buffer';
import { saeArchitecture, saeArchitectureNames, saeArchitectures } from '../sae/architectures';
import type { SparseAutoencoder } from '../sae/base';
import { type SaeArchitecture, type SaeConfig, createSae } from '../sae/create';
import type { TrainFlag } from '../sae/registry';
import { evaluateSae } from '../sae/metrics';
import { loadSaeLens, saveSaeLens } from '../sae/saelens';
import { SaeTrainer } from '../sae/trainer';
import { RowRangeSource, defaultRowsInMemory, openRowSet, splitRows } from './data';
import { EVAL_BATCH_SIZE, type EvaluationRecord, evaluationRecord } from './eval';
import { didYouMean } from './suggest';

/** `--lr-schedule` names and the trainer's decay each maps to. */
export const LR_SCHEDULES = { constant: 'none', linear: 'linear', cosine: 'cosine' } as const;
export type LrSchedule = keyof typeof LR_SCHEDULES;

/** The options of `gensparse train`, parsed. */
export interface TrainOptions {
  data: string;
  /** Tensor to read from a .safetensors file holding several. */
  tensor?: string;
  architecture: SaeArchitecture;
  latents: number;
  /** Active latents (the architectures that read --k: `trainFlagHelp('k')`). */
  k?: number;
  /** The architecture's sparsity coefficient (L1, L0: `trainFlagHelp('sparsityCoefficient')`); its default when absent. */
  sparsityCoefficient?: number;
  steps: number;
  batchSize: number;
  /** Peak learning rate; default 2e-4 / sqrt(N / 2^14). */
  lr?: number;
  lrSchedule: LrSchedule;
  warmupSteps?: number;
  /** Fraction of the rows held out (the last ones). */
  heldOut: number;
  logEvery: number;
  /** Checkpoint every this many steps (0: never). */
  checkpointEvery: number;
  /** Rows the shuffling buffer holds. */
  bufferRows?: number;
  /** Held-out rows evaluated at the end (the first this many of the held-out range); default `defaultRowsInMemory`. */
  evalRows?: number;
  seed: number;
  out: string;
  /** Continue the run in `out` from its last checkpoint (the other options must be the run's). */
  resume: boolean;
  /** End after this step with a checkpoint, to continue later with `resume` (default: run all steps). */
  stopAfter?: number;
}

/** Options that may differ between a run and its resumption. */
const RESUME_MAY_CHANGE: readonly string[] = ['resume', 'stopAfter', 'out'];

/** What the command prints at the end and returns to a caller. */
export interface TrainSummary {
  out: string;
  steps: number;
  trainRows: number;
  heldOutRows: number;
  seconds: number;
  evaluation: EvaluationRecord | null;
  /** True when the run ended at `stopAfter`, before its last step (no sae/ yet; continue with --resume). */
  stopped: boolean;
}

/** The command-line name of each flag an architecture may read (registry.ts `TrainFlag`). */
export const TRAIN_FLAG_NAMES: Record<TrainFlag, string> = { k: '--k', sparsityCoefficient: '--sparsity-coefficient' };

/** The architecture named by `--architecture`, or an InputError with a suggestion. */
export function parseArchitecture(name: string): SaeArchitecture {
  const names = saeArchitectureNames();
  if ((names as string[]).includes(name)) return name as SaeArchitecture;
  throw new InputError('--architecture', `'${name}' is not one of ${names.join(', ')}${didYouMean(name, names)}`);
}

/** `--architecture`'s help: the registered names ('relu-l1, topk, ... or gated'). */
export function architectureHelp(): string {
  const names = saeArchitectureNames();
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
}

/** A flag's help from the architectures that read it: 'L1 coefficient (relu-l1, gated) or L0 coefficient (jumprelu)'. */
export function trainFlagHelp(flag: TrainFlag): string {
  const byMeaning = new Map<string, string[]>();
  for (const e of saeArchitectures()) {
    const use = e.cli[flag];
    if (use) byMeaning.set(use.meaning, [...(byMeaning.get(use.meaning) ?? []), e.name]);
  }
  return [...byMeaning].map(([meaning, names]) => `${meaning} (${names.join(', ')})`).join(' or ');
}

/** The SAE config the options describe: each flag the architecture reads sets its config field. */
export function saeConfigFromOptions(opts: TrainOptions, dIn: number): SaeConfig {
  const { name, cli } = saeArchitecture(opts.architecture);
  const config: Record<string, unknown> = { architecture: name, dIn, nLatents: opts.latents, seed: opts.seed };
  const reads = (Object.keys(cli) as TrainFlag[]).map((f) => TRAIN_FLAG_NAMES[f]);
  for (const flag of Object.keys(TRAIN_FLAG_NAMES) as TrainFlag[]) {
    const [value, use] = [opts[flag], cli[flag]];
    if (use?.required && value === undefined)
      throw new InputError(TRAIN_FLAG_NAMES[flag], `is required for --architecture ${name}`);
    if (!use && value !== undefined) {
      const instead = reads.length > 0 ? `; use ${reads.join(' or ')}` : '';
      throw new InputError(TRAIN_FLAG_NAMES[flag], `has no meaning for --architecture ${name}${instead}`);
    }
    if (use && value !== undefined) config[use.field] = value;
  }
  return config as unknown as SaeConfig;
}

/** Writes each reported step as one JSON line (a plotting tool reads it with pandas.read_json(lines=True)). */
export function jsonlMetrics(file: string, batchSize: number): TrainCallbacks {
  const started = Date.now();
  return {
    onLog(step, metrics) {
      const record = {
        step: step + 1,
        inputs: (step + 1) * batchSize,
        seconds: (Date.now() - started) / 1000,
        ...metrics,
      };
      fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
    },
  };
}

/** Largest absolute difference between two same-named sets of tensors (Infinity when names or shapes differ). */
export async function maxWeightDifference(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>): Promise<number> {
  const names = Object.keys(a).sort();
  if (names.join() !== Object.keys(b).sort().join()) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (const name of names) {
    if (a[name].shape.join() !== b[name].shape.join()) return Number.POSITIVE_INFINITY;
    const [x, y] = await Promise.all([a[name].data(), b[name].data()]);
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  return worst;
}

/** Runs `gensparse train`. `log` gets the human-readable lines (stderr in the command). */
export async function runTrain(opts: TrainOptions, log: (line: string) => void): Promise<TrainSummary> {
  const out = opts.out;
  const stateDir = path.join(out, 'trainer-state');
  if (opts.resume) checkResumable(opts);
  else if (fs.existsSync(path.join(out, 'metrics.jsonl')))
    throw new InputError('--out', `${out} already holds a run (metrics.jsonl); choose another folder or --resume`);
  const rowSet = openRowSet(opts.data, { tensor: opts.tensor });
  let sae: SparseAutoencoder | null = null;
  let trainer: SaeTrainer | null = null;
  try {
    const { trainRows, heldOutRows } = splitRows(rowSet.rows, opts.heldOut);
    const D = rowSet.dim;
    const config = saeConfigFromOptions(opts, D);
    const bufferRows = opts.bufferRows ?? Math.min(trainRows, defaultRowsInMemory(D));
    fs.mkdirSync(out, { recursive: true });
    const run = {
      command: 'gensparse train',
      options: opts,
      data: { files: rowSet.files, rows: rowSet.rows, dim: D, trainRows, heldOutRows, heldOut: 'the last rows' },
      sae: config,
      bufferRows,
    };
    if (!opts.resume) writeFileAtomic(path.join(out, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
    log(
      `data: ${rowSet.rows} rows of dim ${D} in ${rowSet.files.length} file(s); ` +
        `training on the first ${trainRows}, holding out the last ${heldOutRows}`,
    );

    const source = new ActivationBuffer({
      source: new RowRangeSource(rowSet, 0, trainRows),
      capacity: bufferRows,
      seed: opts.seed,
    });
    sae = createSae(config);
    if (sae.predictsTarget) {
      throw new InputError(
        '--architecture',
        `${sae.architecture} predicts a target (an MLP's output) from its input, and gensparse train reads one ` +
          'activation file: train it from (input, target) pairs with SaeTrainer and a PairedActivationSource',
      );
    }
    const checkpointDir = path.join(out, 'checkpoint');
    trainer = new SaeTrainer(sae, source, {
      steps: opts.steps,
      batchSize: opts.batchSize,
      lr: opts.lr,
      decay: LR_SCHEDULES[opts.lrSchedule],
      warmupSteps: opts.warmupSteps,
      logEvery: opts.logEvery,
      initSamples: Math.min(4096, trainRows),
      checkpointEvery: opts.checkpointEvery,
      onCheckpoint: (step) => saveCheckpoints(step),
      callbacks: [
        progressBar({
          label: opts.architecture,
          total: opts.steps,
          show: ['loss', 'mse', 'fvu', 'l0', 'deadFraction'],
        }),
        jsonlMetrics(path.join(out, 'metrics.jsonl'), opts.batchSize),
      ],
      shouldStop: () => opts.stopAfter !== undefined && trainer!.stepsTaken >= opts.stopAfter,
    });
    // trainer-state/ first, then the SAELens view (see the module comment).
    let lastSaved = -1;
    const saveCheckpoints = async (step: number): Promise<void> => {
      const state = trainer!.getState();
      try {
        await saveCheckpoint(stateDir, state);
      } finally {
        for (const t of Object.values(state.tensors)) t.dispose();
      }
      const progress = { training_step: step, training_steps: opts.steps, training_inputs: trainer!.inputsSeen };
      await saveSaeLens(checkpointDir, sae!, { dataset_path: opts.data, ...progress });
      lastSaved = step;
    };
    if (opts.resume) {
      const state = loadCheckpoint<TrainState['config']>(stateDir);
      try {
        trainer.loadState(state);
      } finally {
        for (const t of Object.values(state.tensors)) t.dispose();
      }
      lastSaved = trainer.stepsTaken;
      dropMetricsAfter(path.join(out, 'metrics.jsonl'), trainer.stepsTaken);
      log(`resuming ${out} at step ${trainer.stepsTaken} of ${opts.steps}`);
    }
    log(`sae: ${opts.architecture}, ${D} -> ${opts.latents} latents, ${opts.steps} steps of ${opts.batchSize}`);
    const t0 = Date.now();
    await trainer.train();
    const seconds = (Date.now() - t0) / 1000;
    if (trainer.stepsTaken < opts.steps) {
      if (lastSaved !== trainer.stepsTaken) await saveCheckpoints(trainer.stepsTaken);
      log(`stopped after step ${trainer.stepsTaken} of ${opts.steps}; continue with --resume`);
      return { out, steps: trainer.stepsTaken, trainRows, heldOutRows, seconds, evaluation: null, stopped: true };
    }

    // The final SAELens folder, reloaded and compared bit for bit before anything reads it.
    const saeDir = path.join(out, 'sae');
    await saveSaeLens(saeDir, sae, { dataset_path: opts.data });
    const reloaded = loadSaeLens(saeDir);
    try {
      const before = sae.foldedWeights();
      const after = reloaded.foldedWeights();
      const diff = await maxWeightDifference(before, after);
      for (const t of [...Object.values(before), ...Object.values(after)]) t.dispose();
      if (diff !== 0) throw new Error(`the saved SAE does not reload exactly: max weight difference ${diff}`);
      log(`saved ${saeDir} (SAELens v6); reloaded: weights identical`);

      let evaluation: EvaluationRecord | null = null;
      if (heldOutRows > 0) {
        const rows = Math.min(heldOutRows, opts.evalRows ?? defaultRowsInMemory(D));
        const result = await evaluateSae(reloaded, rowSet.readRows(trainRows, rows), { batchSize: EVAL_BATCH_SIZE });
        evaluation = evaluationRecord(result, { sae: saeDir, data: opts.data, firstRow: trainRows, rows });
        writeFileAtomic(path.join(out, 'eval.json'), `${JSON.stringify(evaluation, null, 2)}\n`);
      }
      return { out, steps: trainer.stepsTaken, trainRows, heldOutRows, seconds, evaluation, stopped: false };
    } finally {
      reloaded.dispose();
    }
  } finally {
    trainer?.dispose();
    sae?.dispose();
    rowSet.close();
  }
}

/**
 * Throws unless `opts.out` holds a run with a trainer state, started with the same options
 * (all but --resume, --stop-after and --out, which name the run), so the data order and the
 * schedule continue unchanged.
 */
function checkResumable(opts: TrainOptions): void {
  const runFile = path.join(opts.out, 'run.json');
  if (!fs.existsSync(runFile) || !fs.existsSync(path.join(opts.out, 'trainer-state')))
    throw new InputError('--resume', `${opts.out} holds no checkpointed run (run.json and trainer-state/)`);
  const saved = (readJsonObject(runFile) as { options?: Record<string, unknown> }).options ?? {};
  const now = opts as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    if (RESUME_MAY_CHANGE.includes(key)) continue;
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key]))
      throw new InputError(
        '--resume',
        `the run in ${opts.out} was started with ${key} = ${JSON.stringify(saved[key])}, now ${JSON.stringify(now[key])}; resume with the same options`,
      );
  }
}

/** Drops the records of steps after `step` (logged by a run killed after its last checkpoint). */
function dropMetricsAfter(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => (JSON.parse(l) as { step: number }).step <= step);
  writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
}

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
 * Several SAEs in one run (`--seeds S`, `--k 8,16,32`, or both: every k with every seed): they
 * train together as a stack (SaeTrainer), every one on the same batches, and each gets its own
 * folder under `--out` with the layout above: `--out/<member>/{metrics.jsonl, checkpoint/, sae/,
 * eval.json}`, the member named by what varies: `seed-3`, `k-16`, or `k-16-seed-3`. `run.json`
 * (listing the members) and `trainer-state/` (all members' states, saved as one folder so they
 * always belong to one step) stay at the top of `--out`. Each member's result equals a run of its
 * own with that seed and k (tests/sae/stacked.test.ts).
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
import { ConfigError, InputError } from '../base/errors';
import { progressBar } from '../core/progress';
import type { TrainCallbacks, TrainState } from '../core/train';
import { ActivationBuffer } from '../data/buffer';
import { saeArchitecture, saeArchitectureNames, saeArchitectures } from '../sae/architectures';
import type { SparseAutoencoder } from '../sae/base';
import { type SaeArchitecture, type SaeConfig, createSae } from '../sae/create';
import type { TrainFlag } from '../sae/registry';
import { evaluateSae } from '../sae/eval/reconstruction';
import { loadSaeLens, saveSaeLens } from '../sae/saelens';
import { SaeTrainer, memberMetrics } from '../sae/trainer';
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
  /** Active latents (the architectures that read --k: `trainFlagHelp('k')`): one value, or several to train one SAE per value. */
  k?: number[];
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
  /** SAEs per k, with seeds seed, seed + 1, ..., trained together (default 1). The data order uses `seed`. */
  seeds: number;
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
  /** The evaluation of a single SAE (null for a stack: see `members`, or when nothing is held out). */
  evaluation: EvaluationRecord | null;
  /** Each SAE of a stack: its folder name, its folder and its evaluation (absent for a single SAE). */
  members?: { name: string; out: string; evaluation: EvaluationRecord | null }[];
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

/** What one SAE's config reads from the options: the architecture, its size and sparsity, one k and one seed. */
export type SaeOptions = Pick<TrainOptions, 'architecture' | 'latents' | 'sparsityCoefficient' | 'seed'> & {
  k?: number;
};

/** One SAE of a run: its folder name under `--out` ('' for a single SAE: `--out` itself) and its config. */
export interface RunMember {
  name: string;
  config: SaeConfig;
}

/**
 * The SAEs the options describe: every k of `--k` with every seed of `--seeds` (seed, seed + 1, ...),
 * k-major; each named by what varies (`k-16-seed-3`, `k-16`, `seed-3`; '' when there is one SAE).
 */
export function runMembers(opts: TrainOptions, dIn: number): RunMember[] {
  if (opts.k !== undefined) {
    if (opts.k.length === 0) throw new InputError('--k', 'must list at least one value');
    const twice = opts.k.find((k, i) => opts.k!.indexOf(k) !== i);
    if (twice !== undefined) throw new InputError('--k', `lists ${twice} twice`);
  }
  const ks: (number | undefined)[] = opts.k ?? [undefined];
  const seeds = Array.from({ length: opts.seeds }, (_, i) => opts.seed + i);
  return ks.flatMap((k) =>
    seeds.map((seed) => {
      const parts = [ks.length > 1 ? `k-${k}` : '', seeds.length > 1 ? `seed-${seed}` : ''];
      return { name: parts.filter(Boolean).join('-'), config: saeConfigFromOptions({ ...opts, k, seed }, dIn) };
    }),
  );
}

/** The SAE config the options describe: each flag the architecture reads sets its config field. */
export function saeConfigFromOptions(opts: SaeOptions, dIn: number): SaeConfig {
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

/** Config fields every architecture reads from a common flag. */
const COMMON_FLAGS: Record<string, string> = { nLatents: '--latents', seed: '--seed' };

/**
 * `createSae`, its ConfigError renamed after the flag the user typed (`k` -> `--k`,
 * `l1Coefficient` -> `--sparsity-coefficient`, `nLatents` -> `--latents`), so the message names the knob.
 */
function createSaeForFlags(config: SaeConfig): SparseAutoencoder {
  try {
    return createSae(config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const { cli } = saeArchitecture(config.architecture);
    const fromFlag = (Object.keys(cli) as TrainFlag[]).find((f) => cli[f]?.field === e.argument);
    const flag = fromFlag ? TRAIN_FLAG_NAMES[fromFlag] : COMMON_FLAGS[e.argument];
    if (!flag) throw e;
    throw new InputError(flag, e.message.slice(e.argument.length + 2));
  }
}

/**
 * Writes each reported step as one JSON line (a plotting tool reads it with pandas.read_json(lines=True)).
 * `member`: write that SAE's metrics of a stack's record (`memberMetrics`).
 */
export function jsonlMetrics(file: string, batchSize: number, member?: number): TrainCallbacks {
  const started = Date.now();
  return {
    onLog(step, metrics) {
      const record = {
        step: step + 1,
        inputs: (step + 1) * batchSize,
        seconds: (Date.now() - started) / 1000,
        ...(member === undefined ? metrics : memberMetrics(metrics, member)),
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
  const rowSet = openRowSet(opts.data, { tensor: opts.tensor });
  const saes: SparseAutoencoder[] = [];
  let trainer: SaeTrainer | null = null;
  try {
    const { trainRows, heldOutRows } = splitRows(rowSet.rows, opts.heldOut);
    const D = rowSet.dim;
    const members = runMembers(opts, D);
    const dirs = members.map((m) => path.join(out, m.name));
    if (opts.resume) checkResumable(opts);
    else {
      const logged = dirs.map((d) => path.join(d, 'metrics.jsonl')).find((f) => fs.existsSync(f));
      if (logged)
        throw new InputError('--out', `${out} already holds a run (${logged}); choose another folder or --resume`);
    }
    // Before anything is written: a config the SAE refuses (k > latents, ...) must leave --out untouched.
    for (const m of members) saes.push(createSaeForFlags(m.config));
    const transcoder = saes.find((s) => s.predictsTarget);
    if (transcoder) {
      throw new InputError(
        '--architecture',
        `${transcoder.architecture} predicts a target (an MLP's output) from its input, and gensparse train reads one ` +
          'activation file: train it from (input, target) pairs with SaeTrainer and a PairedActivationSource',
      );
    }
    const bufferRows = opts.bufferRows ?? Math.min(trainRows, defaultRowsInMemory(D));
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    const run = {
      command: 'gensparse train',
      options: opts,
      data: { files: rowSet.files, rows: rowSet.rows, dim: D, trainRows, heldOutRows, heldOut: 'the last rows' },
      ...(members.length === 1 ? { sae: members[0].config } : { members }),
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
    const stacked = members.length > 1;
    trainer = new SaeTrainer(saes, source, {
      steps: opts.steps,
      batchSize: opts.batchSize,
      lr: opts.lr,
      decay: LR_SCHEDULES[opts.lrSchedule],
      warmupSteps: opts.warmupSteps,
      logEvery: opts.logEvery,
      initSamples: Math.min(4096, trainRows),
      checkpointEvery: opts.checkpointEvery,
      // called once per SAE; the first call saves them all (their states share one folder)
      onCheckpoint: (step, _sae, member) => (member === 0 ? saveCheckpoints(step) : undefined),
      callbacks: [
        progressBar({
          label: stacked ? `${members.length} x ${opts.architecture}` : opts.architecture,
          total: opts.steps,
          show: stacked ? ['loss'] : ['loss', 'mse', 'fvu', 'l0', 'deadFraction'],
        }),
        ...dirs.map((d, i) => jsonlMetrics(path.join(d, 'metrics.jsonl'), opts.batchSize, stacked ? i : undefined)),
      ],
      shouldStop: () => opts.stopAfter !== undefined && trainer!.stepsTaken >= opts.stopAfter,
    });
    // trainer-state/ first, then each SAELens view (see the module comment).
    let lastSaved = -1;
    const saveCheckpoints = async (step: number): Promise<void> => {
      const states = saes.map((_, i) => trainer!.getState(i));
      const state = stacked ? stackStates(states) : states[0];
      try {
        await saveCheckpoint(stateDir, state);
      } finally {
        for (const t of states.flatMap((st) => Object.values(st.tensors))) t.dispose();
      }
      const progress = { training_step: step, training_steps: opts.steps, training_inputs: trainer!.inputsSeen };
      for (const [i, sae] of saes.entries()) {
        await saveSaeLens(path.join(dirs[i], 'checkpoint'), sae, { dataset_path: opts.data, ...progress });
      }
      lastSaved = step;
    };
    if (opts.resume) {
      const state = loadCheckpoint<TrainState['config']>(stateDir);
      try {
        trainer.loadState(stacked ? memberStates(state, members.length) : state);
      } finally {
        for (const t of Object.values(state.tensors)) t.dispose();
      }
      lastSaved = trainer.stepsTaken;
      for (const d of dirs) dropMetricsAfter(path.join(d, 'metrics.jsonl'), trainer.stepsTaken);
      log(`resuming ${out} at step ${trainer.stepsTaken} of ${opts.steps}`);
    }
    const what = stacked ? `${members.length} SAEs (${members.map((m) => m.name).join(', ')}): ` : 'sae: ';
    log(`${what}${opts.architecture}, ${D} -> ${opts.latents} latents, ${opts.steps} steps of ${opts.batchSize}`);
    const t0 = Date.now();
    await trainer.train();
    const seconds = (Date.now() - t0) / 1000;
    if (trainer.stepsTaken < opts.steps) {
      if (lastSaved !== trainer.stepsTaken) await saveCheckpoints(trainer.stepsTaken);
      log(`stopped after step ${trainer.stepsTaken} of ${opts.steps}; continue with --resume`);
      return { out, steps: trainer.stepsTaken, trainRows, heldOutRows, seconds, evaluation: null, stopped: true };
    }

    const results: { name: string; out: string; evaluation: EvaluationRecord | null }[] = [];
    for (const [i, sae] of saes.entries()) {
      const evaluation = await saveFinal(sae, dirs[i], { opts, rowSet, trainRows, heldOutRows, log });
      results.push({ name: members[i].name, out: dirs[i], evaluation });
    }
    const steps = trainer.stepsTaken;
    if (!stacked)
      return { out, steps, trainRows, heldOutRows, seconds, evaluation: results[0].evaluation, stopped: false };
    return { out, steps, trainRows, heldOutRows, seconds, evaluation: null, members: results, stopped: false };
  } finally {
    trainer?.dispose();
    for (const sae of saes) sae.dispose();
    rowSet.close();
  }
}

/**
 * Saves one trained SAE as `dir/sae` (SAELens v6), reloads it and compares its weights bit for bit,
 * then evaluates the reloaded copy on the held-out rows into `dir/eval.json`.
 */
async function saveFinal(
  sae: SparseAutoencoder,
  dir: string,
  run: {
    opts: TrainOptions;
    rowSet: ReturnType<typeof openRowSet>;
    trainRows: number;
    heldOutRows: number;
    log: (line: string) => void;
  },
): Promise<EvaluationRecord | null> {
  const saeDir = path.join(dir, 'sae');
  await saveSaeLens(saeDir, sae, { dataset_path: run.opts.data });
  const reloaded = loadSaeLens(saeDir);
  try {
    const before = sae.foldedWeights();
    const after = reloaded.foldedWeights();
    const diff = await maxWeightDifference(before, after);
    for (const t of [...Object.values(before), ...Object.values(after)]) t.dispose();
    if (diff !== 0) throw new Error(`the saved SAE does not reload exactly: max weight difference ${diff}`);
    run.log(`saved ${saeDir} (SAELens v6); reloaded: weights identical`);
    if (run.heldOutRows === 0) return null;
    const rows = Math.min(run.heldOutRows, run.opts.evalRows ?? defaultRowsInMemory(sae.dIn));
    const heldOut = run.rowSet.readRows(run.trainRows, rows);
    const result = await evaluateSae(reloaded, heldOut, { batchSize: EVAL_BATCH_SIZE });
    const evaluation = evaluationRecord(result, { sae: saeDir, data: run.opts.data, firstRow: run.trainRows, rows });
    writeFileAtomic(path.join(dir, 'eval.json'), `${JSON.stringify(evaluation, null, 2)}\n`);
    return evaluation;
  } finally {
    reloaded.dispose();
  }
}

/** A stack's per-SAE training states as one (tensors prefixed `<i>/`, configs listed): saved as one folder. */
export function stackStates(states: TrainState[]): TrainState {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [i, st] of states.entries())
    for (const [name, t] of Object.entries(st.tensors)) tensors[`${i}/${name}`] = t;
  return { config: { kind: 'sae-stack', members: states.map((st) => st.config) }, tensors };
}

/** The per-SAE states of `stackStates` (views of the same tensors), checked against the run's SAE count. */
export function memberStates(state: TrainState, count: number): TrainState[] {
  const configs = state.config.members;
  if (state.config.kind !== 'sae-stack' || !Array.isArray(configs) || configs.length !== count) {
    throw new InputError('trainer-state', `must hold the states of ${count} SAEs (kind 'sae-stack')`);
  }
  return configs.map((config, i) => {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(state.tensors))
      if (name.startsWith(`${i}/`)) tensors[name.slice(`${i}/`.length)] = t;
    return { config: config as TrainState['config'], tensors };
  });
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
        `the run in ${opts.out} was started with ${key} = ${JSON.stringify(saved[key])}, now ${JSON.stringify(now[key])}; ` +
          `resume with the same options: ${optionAsGiven(key, saved[key])}`,
      );
  }
}

/** How a saved option is written on the command line ('--checkpoint-every 10', 'without --k'). */
function optionAsGiven(key: string, value: unknown): string {
  const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return value === undefined ? `without ${flag}` : `${flag} ${String(value)}`;
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

/**
 * The training loop shared by every model: call `step(i)` `steps` times, read the
 * metrics it returns every `logEvery` steps, keep their history, and tell callbacks.
 *
 * `step` returns scalar tensors (or numbers). Reading a tensor back forces the backend
 * to finish its queued work, so the loop reads only on logging steps; on the others it
 * just disposes them. Between logging steps it yields to the event loop every
 * `yieldEvery` steps so a browser page stays responsive.
 */
import type * as tf from '@tensorflow/tfjs';
import { checkInt } from '../base/errors';

export type Metrics = Record<string, number>;
export type StepResult = Record<string, tf.Scalar | number> | undefined;

/** Metric values over steps: `series('loss')` gives [{step, value}] for a chart. */
export class MetricHistory {
  readonly steps: number[] = [];
  readonly values: Metrics[] = [];

  push(step: number, metrics: Metrics): void {
    this.steps.push(step);
    this.values.push(metrics);
  }

  series(name: string): { step: number; value: number }[] {
    const out: { step: number; value: number }[] = [];
    this.values.forEach((m, i) => {
      if (name in m) out.push({ step: this.steps[i], value: m[name] });
    });
    return out;
  }

  last(name: string): number | undefined {
    for (let i = this.values.length - 1; i >= 0; i--) if (name in this.values[i]) return this.values[i][name];
    return undefined;
  }

  toJSON(): { steps: number[]; values: Metrics[] } {
    return { steps: this.steps, values: this.values };
  }
}

/**
 * The schedule options both trainers take (SaeTrainer, VaeTrainer): Adam's peak learning rate,
 * a linear warm-up, then constant, then a linear or cosine decay (`makeSchedule` in optim.ts).
 */
export interface ScheduleOptions {
  /** Peak learning rate. */
  lr?: number;
  /** Linear warm-up steps from 0 to `lr`. */
  warmupSteps?: number;
  /** Shape of the decay after `decayStart`. */
  decay?: 'none' | 'linear' | 'cosine';
  /** Fraction of the run after which the decay starts. */
  decayStart?: number;
  /** Learning rate at the end, as a fraction of `lr`. */
  finalFraction?: number;
}

/** How a trainer's `train()` reports and stops: the same options for every trainer. */
export interface RunOptions {
  /** Progress callbacks (a progress bar, charts). */
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Polled before every step; true stops the run (a Pause button). */
  shouldStop?(): boolean;
}

/**
 * The data contract of every trainer: an endless (or wrapping) stream of `dim`-wide rows.
 * `nextBatch(b)` returns a fresh row-major Float32Array of b * dim values. Activation sources
 * (src/data/source.ts), the activation buffer and `DatasetSource` (a shuffled in-memory
 * dataset, src/vae/dataset.ts) implement it.
 */
export interface BatchSource {
  readonly dim: number;
  nextBatch(batchSize: number): Float32Array;
}

/** A batch source that can report and restore its position (needed to resume a run exactly). */
export interface ResumableSource extends BatchSource {
  getState(): unknown;
  setState(state: unknown): void;
}

/** Does `source` report and restore its position? */
export function isResumable(source: BatchSource): source is ResumableSource {
  const s = source as Partial<ResumableSource>;
  return typeof s.getState === 'function' && typeof s.setState === 'function';
}

/**
 * A trainer's full state: tensors (parameters, optimiser moments, statistics) and a JSON record
 * (step, schedule, data position, random streams, the model's config). Saved with the core's
 * atomic `saveCheckpoint(dir, state)`, loaded with `loadCheckpoint(dir)`.
 */
export interface TrainState {
  config: Record<string, unknown>;
  tensors: Record<string, tf.Tensor>;
}

/**
 * The shape of every trainer: `step()` takes one optimisation step and returns the metric record
 * (scalar tensors or numbers, `loss` and `lr` always among them; the loop reads them back only
 * on logging steps), `train()` runs the configured steps through `trainLoop`, `dispose()` frees
 * the optimiser state (never the model).
 */
export interface Trainer {
  /** Steps taken so far. */
  readonly stepsTaken: number;
  step(): StepResult | Promise<StepResult>;
  train(options?: RunOptions): Promise<MetricHistory>;
  dispose(): void;
}

export interface TrainCallbacks {
  /** After each logged step, with the metrics read back. */
  onLog?(step: number, metrics: Metrics, history: MetricHistory): void | Promise<void>;
  /** When the loop ends (normally or stopped). */
  onEnd?(history: MetricHistory): void | Promise<void>;
}

export interface TrainLoopOptions {
  steps: number;
  /** One optimisation step; `i` counts from `startStep`. */
  step(i: number): StepResult | Promise<StepResult>;
  /** Read metrics every this many steps, counted from step 0 (and on the last). */
  logEvery?: number;
  /** Yield to the event loop every this many steps (browser responsiveness). */
  yieldEvery?: number;
  /** Step number of the first call (to resume). */
  startStep?: number;
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Polled before every step; return true to stop early (a Pause button). */
  shouldStop?(): boolean;
  history?: MetricHistory;
}

export async function trainLoop(options: TrainLoopOptions): Promise<MetricHistory> {
  const steps = checkInt('steps', options.steps, 0);
  const logEvery = checkInt('logEvery', options.logEvery ?? 10, 1);
  const yieldEvery = checkInt('yieldEvery', options.yieldEvery ?? 0, 0);
  const start = options.startStep ?? 0;
  const history = options.history ?? new MetricHistory();
  const callbacks = options.callbacks === undefined ? [] : ([] as TrainCallbacks[]).concat(options.callbacks);

  for (let i = start; i < start + steps; i++) {
    if (options.shouldStop?.()) break;
    const result = (await options.step(i)) || {};
    // Counted from step 0, not from startStep: a resumed run logs the same steps as one never stopped.
    const isLog = (i + 1) % logEvery === 0 || i === start + steps - 1;
    if (isLog) {
      const metrics = await readMetrics(result);
      history.push(i, metrics);
      for (const cb of callbacks) await cb.onLog?.(i, metrics, history);
    } else {
      disposeMetrics(result);
      if (yieldEvery > 0 && (i - start + 1) % yieldEvery === 0) await nextTick();
    }
  }
  for (const cb of callbacks) await cb.onEnd?.(history);
  return history;
}

/**
 * Reads scalar tensors back (awaiting, never dataSync) and disposes them. One tensor may sit
 * under two names (a loss that is a single term: `loss` and `fvu`): it is read once.
 */
export async function readMetrics(result: Record<string, tf.Scalar | number>): Promise<Metrics> {
  const metrics: Metrics = {};
  const read = new Map<tf.Scalar, number>();
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === 'number') {
      metrics[k] = v;
    } else {
      if (!read.has(v)) read.set(v, (await v.data())[0]);
      metrics[k] = read.get(v)!;
    }
  }
  for (const t of read.keys()) t.dispose();
  return metrics;
}

/** Reads a tensor's values (awaiting, never dataSync) and disposes it: `await readAndDispose(model.sample(8))`. */
export async function readAndDispose(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  const values = await t.data();
  t.dispose();
  return values as Float32Array | Int32Array | Uint8Array;
}

function disposeMetrics(result: Record<string, tf.Scalar | number>): void {
  for (const v of Object.values(result)) if (typeof v !== 'number') v.dispose();
}

function nextTick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The run state machine behind a lesson's Start / Pause / Step / Reset buttons, with no DOM,
 * so it runs (and is tested) in Node, in the page and in a Web Worker alike.
 *
 *   loading --(model built)--> ready --start--> running --pause--> pausing --(chunk ends)--> paused
 *   running --(maxSteps)--> done;  any --(throw)--> error;  any --reset--> loading
 *
 * - `pause()` shows "pausing" at once: the current chunk of steps finishes first.
 * - steps/s is wall clock over the last `rateWindowMs` (drawing included), not one chunk's pace.
 * - `reset()` clears notes and the error; a run with logged metrics becomes a ghost (its curves
 *   stay, faded, under the next run's, labelled with its settings).
 */
import { Rng } from '../core/random';
import { MetricHistory, trainLoop } from '../core/train';
import type { Experiment, ExperimentData, ExperimentRun } from './experiment';
import { type Ghost, makeGhost } from './figures';
import { type SettingSpecs, type SettingValues, settingsLabel } from './settings';

export type RunStatus = 'loading' | 'ready' | 'running' | 'pausing' | 'paused' | 'done' | 'error';

export interface ControllerOptions<S extends SettingSpecs> {
  experiment: Experiment<S>;
  settings: SettingValues<S>;
  data: ExperimentData;
  /** Milliseconds (default performance.now). */
  now?: () => number;
  /** Awaited before every step: the page yields to input and painting when its task ran long. */
  beforeStep?: () => Promise<void>;
  /** Awaited after each chunk of `logEvery` steps (the page draws; the default waits a macrotask). */
  afterChunk?: () => Promise<void>;
  /** Called whenever status, step, rate, note or ghosts change. */
  onChange?: () => void;
  /** Ghosts kept (oldest dropped first). Default 3. */
  maxGhosts?: number;
  /** Window of the steps/s readout. Default 3000 ms. */
  rateWindowMs?: number;
}

export class RunController<S extends SettingSpecs> {
  status: RunStatus = 'loading';
  step = 0;
  history = new MetricHistory();
  settings: SettingValues<S>;
  ghosts: Ghost[] = [];
  /** The latest status line (cleared on reset). */
  note = '';
  error = '';
  run: ExperimentRun | null = null;

  private readonly opts: ControllerOptions<S>;
  private readonly now: () => number;
  private generation = 0;
  private loop: Promise<void> = Promise.resolve();
  private stopRequested = false;
  /** (time ms, step) samples for the wall-clock rate. */
  private samples: Array<[number, number]> = [];

  constructor(opts: ControllerOptions<S>) {
    this.opts = opts;
    this.settings = { ...opts.settings };
    this.now = opts.now ?? (() => performance.now());
  }

  get experiment(): Experiment<S> {
    return this.opts.experiment;
  }

  /** Steps per second over the last few seconds of wall clock (0 before two samples). */
  get stepsPerSec(): number {
    const s = this.samples;
    if (s.length < 2) return 0;
    const [t0, k0] = s[0];
    const [t1, k1] = s[s.length - 1];
    return t1 > t0 ? ((k1 - k0) * 1000) / (t1 - t0) : 0;
  }

  setNote(text: string): void {
    this.note = text;
    this.changed();
  }

  /** Builds the model from `settings` (or the current ones); the previous run becomes a ghost. */
  async reset(settings?: SettingValues<S>): Promise<void> {
    const my = ++this.generation;
    this.stopRequested = true;
    await this.loop.catch(() => undefined);
    if (this.history.values.length > 0) {
      this.ghosts.push(
        makeGhost(settingsLabel(this.experiment.settings, this.settings), this.experiment.metrics, this.history),
      );
      while (this.ghosts.length > (this.opts.maxGhosts ?? 3)) this.ghosts.shift();
    }
    this.run?.dispose();
    this.run = null;
    if (settings) this.settings = { ...settings };
    this.history = new MetricHistory();
    this.step = 0;
    this.samples = [];
    this.note = '';
    this.error = '';
    this.setStatus('loading');
    try {
      const run = await this.experiment.create({
        settings: { ...this.settings },
        rng: new Rng(Number((this.settings as Record<string, unknown>).seed ?? 1)),
        data: this.opts.data,
        note: (t) => {
          if (my === this.generation) this.setNote(t);
        },
      });
      if (my !== this.generation) {
        run.dispose();
        return;
      }
      this.run = run;
      this.setStatus('ready');
    } catch (e) {
      if (my === this.generation) this.fail(e);
    }
  }

  /** Forgets the ghosts. */
  clearGhosts(): void {
    this.ghosts = [];
    this.changed();
  }

  /** Starts training in chunks of `logEvery` steps; returns at once (await `idle()` to wait). */
  start(): void {
    if (!this.run || !(this.status === 'ready' || this.status === 'paused')) return;
    this.stopRequested = false;
    this.setStatus('running');
    const my = this.generation;
    this.samples = [[this.now(), this.step]];
    this.loop = this.runLoop(my);
  }

  /** Asks the loop to stop after the current step: "pausing" at once, "paused" when it has. */
  pause(): void {
    if (this.status !== 'running') return;
    this.stopRequested = true;
    this.setStatus('pausing');
  }

  /** One logged step (from ready or paused). */
  async stepOnce(): Promise<void> {
    if (!this.run || !(this.status === 'ready' || this.status === 'paused')) return;
    const my = this.generation;
    this.stopRequested = false;
    try {
      await this.advance(1, 1, my);
      if (my === this.generation) this.setStatus(this.step >= this.experiment.maxSteps ? 'done' : 'paused');
    } catch (e) {
      if (my === this.generation) this.fail(e);
    }
  }

  /** Resolves when the training loop (if any) has stopped. */
  idle(): Promise<void> {
    return this.loop.catch(() => undefined);
  }

  /** Stops and frees the run. */
  async dispose(): Promise<void> {
    this.generation++;
    this.stopRequested = true;
    await this.idle();
    this.run?.dispose();
    this.run = null;
  }

  private async runLoop(my: number): Promise<void> {
    const logEvery = this.experiment.logEvery ?? 10;
    try {
      while (!this.stopRequested && my === this.generation && this.step < this.experiment.maxSteps) {
        await this.advance(logEvery, logEvery, my);
        if (my !== this.generation) return;
        await (this.opts.afterChunk ? this.opts.afterChunk() : new Promise<void>((r) => setTimeout(r, 0)));
        // Sampled after drawing, so the rate counts the whole cycle a learner waits for.
        this.samples.push([this.now(), this.step]);
        const cutoff = this.now() - (this.opts.rateWindowMs ?? 3000);
        while (this.samples.length > 2 && this.samples[1][0] <= cutoff) this.samples.shift();
        this.changed();
      }
      if (my !== this.generation) return;
      this.setStatus(this.step >= this.experiment.maxSteps ? 'done' : 'paused');
    } catch (e) {
      if (my === this.generation) this.fail(e);
    }
  }

  private async advance(n: number, logEvery: number, my: number): Promise<void> {
    const run = this.run;
    if (!run) return;
    await trainLoop({
      steps: Math.min(n, this.experiment.maxSteps - this.step),
      startStep: this.step,
      logEvery,
      history: this.history,
      step: async (i) => {
        await this.opts.beforeStep?.();
        const out = await run.oneStep(i);
        this.step = i + 1;
        return out;
      },
      shouldStop: () => my !== this.generation || (n > 1 && this.stopRequested),
    });
  }

  private fail(e: unknown): void {
    this.error = e instanceof Error ? e.message : String(e);
    this.setStatus('error');
  }

  private setStatus(s: RunStatus): void {
    this.status = s;
    this.changed();
  }

  private changed(): void {
    this.opts.onChange?.();
  }
}

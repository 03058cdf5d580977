/**
 * The contract between a lesson's live panel (lessons/<id>/panel.ts) and the page.
 *
 * A panel declares its settings and a `create(ctx)` that builds a model from them and
 * returns `{ step(i), draw(history), dispose() }`. The kit does the rest, the same way for
 * every lesson: controls for the settings, kept in the page URL (seed included) so a link
 * reproduces the run; Start / Pause / Step / Reset; the shared `trainLoop` from src/core
 * in short chunks that yield to the browser between them, so the page never freezes; a
 * loss chart, a readout of the latest metrics, and the backend in use.
 *
 *   export default definePanel({
 *     title: 'Train a VAE', settings: { seed: seedSetting(1), lr: { kind: 'number', ... } },
 *     chart: ['loss'],
 *     async create(ctx) { ...; return { step: (i) => trainer.step(), draw: async () => ..., dispose } },
 *   });
 */
import * as tf from '@tensorflow/tfjs';
import { MetricHistory, type StepResult, trainLoop } from '../../core/train';
import { Rng } from '../../core/random';
import type { BackendReport } from '../../core/backend';
import { LineChart, makeCanvas } from './charts';

export type SettingSpec =
  | { kind: 'int'; label: string; default: number; min: number; max: number; help?: string }
  | { kind: 'number'; label: string; default: number; min: number; max: number; help?: string }
  | { kind: 'choice'; label: string; default: string; options: readonly string[]; help?: string }
  | { kind: 'bool'; label: string; default: boolean; help?: string };

export type SettingSpecs = Record<string, SettingSpec>;

/** The values of a panel's settings, typed from their specs. */
export type SettingValues<S extends SettingSpecs> = {
  [K in keyof S]: S[K] extends { kind: 'choice' } ? string : S[K] extends { kind: 'bool' } ? boolean : number;
};

/** The seed setting every panel has (a link with ?seed=N reproduces the run). */
export function seedSetting(def = 1): SettingSpec {
  return { kind: 'int', label: 'seed', default: def, min: 0, max: 2 ** 31 - 1 };
}

/** What a panel's `create` receives. */
export interface PanelContext<S extends SettingSpecs> {
  settings: SettingValues<S>;
  /** Seeded from `settings.seed`. */
  rng: Rng;
  backend: BackendReport;
  /** Adds a titled view with a canvas of this CSS size; returns its 2-D context. */
  canvasView(title: string, width: number, height: number, caption?: string): CanvasRenderingContext2D;
  /** Adds a titled view whose content the panel replaces (image grids, tables). */
  boxView(title: string, caption?: string): HTMLElement;
  /** Shows a line of status text under the buttons. */
  note(text: string): void;
}

/** What `create` returns: the model driven by the kit. */
export interface PanelRun {
  /** One optimisation step; returns scalar tensors or numbers (read only on log steps). */
  step(i: number): StepResult | Promise<StepResult>;
  /** Redraw the panel's own views (called after each chunk of steps and after reset). */
  draw?(history: MetricHistory): void | Promise<void>;
  dispose(): void;
}

export interface PanelDefinition<S extends SettingSpecs> {
  title: string;
  settings: S;
  /** Metrics drawn on the main chart (the first is the loss the tests check). */
  chart: string[];
  /** Metrics shown as numbers under the buttons (default: all). */
  readout?: string[];
  /** Read metrics and redraw every this many steps. */
  logEvery?: number;
  /** Training stops by itself here. */
  maxSteps?: number;
  create(ctx: PanelContext<S>): Promise<PanelRun>;
}

/** Identity, for type inference in panel files. */
export function definePanel<S extends SettingSpecs>(def: PanelDefinition<S>): PanelDefinition<S> {
  return def;
}

/** Reads settings from a query string; a missing or invalid value falls back to the default, and says so. */
export function readSettings<S extends SettingSpecs>(
  specs: S,
  search: string,
): { values: SettingValues<S>; problems: string[] } {
  const q = new URLSearchParams(search);
  const values: Record<string, number | string | boolean> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const raw = q.get(name);
    values[name] = spec.default;
    if (raw === null) continue;
    const v = parseSetting(spec, raw);
    if (v === undefined)
      problems.push(`${name}=${raw.slice(0, 30)} is not valid (${describeSpec(spec)}); using ${spec.default}`);
    else values[name] = v;
  }
  return { values: values as SettingValues<S>, problems };
}

/** Parses one setting value; undefined when out of range or malformed. */
export function parseSetting(spec: SettingSpec, raw: string): number | string | boolean | undefined {
  switch (spec.kind) {
    case 'int': {
      const v = Number(raw);
      return Number.isInteger(v) && v >= spec.min && v <= spec.max ? v : undefined;
    }
    case 'number': {
      const v = Number(raw);
      return raw.trim() !== '' && Number.isFinite(v) && v >= spec.min && v <= spec.max ? v : undefined;
    }
    case 'choice':
      return spec.options.includes(raw) ? raw : undefined;
    case 'bool':
      return raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : undefined;
  }
}

function describeSpec(spec: SettingSpec): string {
  if (spec.kind === 'choice') return `one of ${spec.options.join(', ')}`;
  if (spec.kind === 'bool') return '0 or 1';
  return `${spec.kind === 'int' ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}]`;
}

/** Writes settings (and the backend, when forced) into the URL without reloading. */
function writeUrl(values: Record<string, unknown>, backend: string): void {
  const q = new URLSearchParams();
  if (backend) q.set('backend', backend);
  for (const [k, v] of Object.entries(values)) q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  history.replaceState(null, '', `${location.pathname}?${q.toString()}${location.hash}`);
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text = '',
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function fmtMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toFixed(a >= 100 ? 1 : a >= 1 ? 3 : 4);
}

/**
 * Lets the browser handle input and paint when the current task has run for more than
 * `YIELD_MS`. A MessageChannel message is a fresh task without setTimeout's 4 ms clamp.
 */
const YIELD_MS = 40;
let taskStart = 0;
let channel: MessageChannel | null = null; // made on first use (an open port would keep Node alive)
const waiting: (() => void)[] = [];

async function yieldIfDue(): Promise<void> {
  const now = performance.now();
  if (taskStart === 0) taskStart = now;
  if (now - taskStart < YIELD_MS) return;
  if (!channel && typeof MessageChannel !== 'undefined' && typeof window !== 'undefined') {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  await new Promise<void>((resolve) => {
    if (!channel) return void setTimeout(resolve, 0);
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
  taskStart = performance.now();
}

/** What tests and curious learners can read from `window.gensparsePanel`. */
export interface PanelState {
  state: 'loading' | 'ready' | 'running' | 'paused' | 'done' | 'error';
  step: number;
  history: MetricHistory;
  backend: BackendReport;
  error?: string;
  start(): void;
  pause(): void;
  stepOnce(): Promise<void>;
  reset(): Promise<void>;
}

/**
 * Mounts a panel into `root`: builds the controls, creates the run, wires the buttons.
 * Settings come from `location.search`; changing one rewrites the URL and resets the run.
 */
export async function mountPanel<S extends SettingSpecs>(
  root: HTMLElement,
  def: PanelDefinition<S>,
  backend: BackendReport,
  forcedBackend: string,
): Promise<PanelState> {
  const { values, problems } = readSettings(def.settings, location.search);
  const logEvery = def.logEvery ?? 10;
  const maxSteps = def.maxSteps ?? 100000;
  root.textContent = '';
  root.append(el('h3', { class: 'panel-title' }, def.title));

  const form = el('form', { class: 'controls', id: 'panel-controls' });
  for (const [name, spec] of Object.entries(def.settings)) {
    const id = `setting-${name}`;
    const label = el('label', { for: id, class: spec.kind === 'bool' ? 'check' : '' });
    if (spec.help) label.title = spec.help;
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.kind === 'choice') {
      input = el('select', { id, name });
      for (const o of spec.options) input.append(el('option', { value: o }, o));
      input.value = String(values[name]);
    } else if (spec.kind === 'bool') {
      input = el('input', { id, name, type: 'checkbox' });
      input.checked = Boolean(values[name]);
    } else {
      input = el('input', {
        id,
        name,
        type: 'number',
        min: String(spec.min),
        max: String(spec.max),
        step: spec.kind === 'int' ? '1' : 'any',
      });
      input.value = String(values[name]);
    }
    input.addEventListener('change', () => {
      const raw =
        input instanceof HTMLInputElement && input.type === 'checkbox' ? (input.checked ? '1' : '0') : input.value;
      const v = parseSetting(spec, raw);
      if (v === undefined) {
        note(`${name}: must be ${describeSpec(spec)}`);
        input.value = String(values[name]);
        return;
      }
      (values as Record<string, unknown>)[name] = v;
      writeUrl(values, forcedBackend);
      void reset(wasRunningBefore());
    });
    if (spec.kind === 'bool') label.append(input, document.createTextNode(spec.label));
    else label.append(document.createTextNode(spec.label), input);
    form.append(label);
  }
  form.addEventListener('submit', (e) => e.preventDefault());
  root.append(form);

  const buttons = el('div', { class: 'buttons' });
  const bStart = el('button', { type: 'button', id: 'btn-start' }, 'Start');
  const bPause = el('button', { type: 'button', id: 'btn-pause', class: 'secondary' }, 'Pause');
  const bStep = el('button', { type: 'button', id: 'btn-step', class: 'secondary' }, 'Step');
  const bReset = el('button', { type: 'button', id: 'btn-reset', class: 'secondary' }, 'Reset');
  const status = el('span', { class: 'status-line', id: 'panel-status' }, 'step 0');
  buttons.append(bStart, bPause, bStep, bReset, status);
  root.append(buttons);
  const noteLine = el('p', { class: 'muted', id: 'panel-note' });
  root.append(noteLine);
  const readout = el('div', { class: 'readout', id: 'panel-readout' });
  root.append(readout);

  const chartBox = el('div', { class: 'view' });
  chartBox.append(el('h3', {}, def.chart.join(', ')));
  const legend = el('div', { class: 'legend' });
  def.chart.forEach((m, i) => {
    const s = el('span');
    s.append(el('i', { class: `sw-${i % 4}` }), document.createTextNode(m));
    legend.append(s);
  });
  const chart = new LineChart(460, 190);
  chart.canvas.id = 'loss-chart';
  chartBox.append(chart.canvas, legend);
  root.append(chartBox);
  const viewsBox = el('div', { class: 'views', id: 'panel-views' });
  root.append(viewsBox);

  function note(text: string): void {
    noteLine.textContent = text;
  }
  if (problems.length) note(problems.join('; '));
  writeUrl(values, forcedBackend);

  const state: PanelState = {
    state: 'loading',
    step: 0,
    history: new MetricHistory(),
    backend,
    start,
    pause,
    stepOnce,
    reset: () => reset(false),
  };
  let run: PanelRun | null = null;
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let generation = 0;
  let stepsPerSec = 0;

  function wasRunningBefore(): boolean {
    return running;
  }

  function setState(s: PanelState['state']): void {
    state.state = s;
    root.dataset.state = s;
    root.dataset.step = String(state.step);
    bStart.disabled = s === 'running' || s === 'loading' || s === 'error' || s === 'done';
    bPause.disabled = s !== 'running';
    bStep.disabled = s === 'running' || s === 'loading' || s === 'error' || s === 'done';
    bReset.disabled = s === 'loading';
    status.textContent = `step ${state.step}${stepsPerSec ? ` · ${stepsPerSec.toFixed(stepsPerSec >= 10 ? 0 : 1)} steps/s` : ''}${s === 'done' ? ' · done' : ''}`;
  }

  /** The latest value of each metric (some are logged less often than others, e.g. held-out bounds). */
  function showMetrics(history: MetricHistory): void {
    const last = history.values[history.values.length - 1] ?? {};
    const names = def.readout ?? Object.keys(last);
    readout.textContent = '';
    for (const n of names) {
      const v = history.last(n);
      if (v === undefined) continue;
      const d = el('div');
      d.append(el('span', { class: 'k' }, n), el('span', { class: 'v', 'data-metric': n }, fmtMetric(v)));
      readout.append(d);
    }
  }

  function showError(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    state.error = msg;
    running = false;
    const box = el('p', { class: 'error-box' }, msg);
    viewsBox.prepend(box);
    setState('error');
  }

  async function draw(): Promise<void> {
    chart.update(Object.fromEntries(def.chart.map((m) => [m, state.history.series(m)])));
    showMetrics(state.history);
    if (run?.draw) await run.draw(state.history);
  }

  async function create(): Promise<void> {
    const my = ++generation;
    run?.dispose();
    run = null;
    viewsBox.textContent = '';
    state.history = new MetricHistory();
    state.step = 0;
    stepsPerSec = 0;
    readout.textContent = '';
    setState('loading');
    const ctx: PanelContext<S> = {
      settings: { ...values },
      rng: new Rng(Number((values as Record<string, unknown>).seed ?? 1)),
      backend,
      canvasView(title, width, height, caption) {
        // Narrow views (up to 260 px) sit two to a row.
        const box = el('div', { class: width <= 260 ? 'view half' : 'view' });
        box.append(el('h3', {}, title));
        const { canvas, ctx: c2 } = makeCanvas(width, height);
        box.append(canvas);
        if (caption) box.append(el('p', { class: 'caption' }, caption));
        viewsBox.append(box);
        return c2;
      },
      boxView(title, caption) {
        const box = el('div', { class: 'view' });
        box.append(el('h3', {}, title));
        const inner = el('div');
        box.append(inner);
        if (caption) box.append(el('p', { class: 'caption' }, caption));
        viewsBox.append(box);
        return inner;
      },
      note,
    };
    try {
      const r = await def.create(ctx);
      if (my !== generation) {
        r.dispose();
        return;
      }
      run = r;
      await draw();
      setState('ready');
    } catch (e) {
      showError(e);
    }
  }

  /** Runs up to `n` steps through the core training loop; returns when done or paused. */
  async function advance(n: number, my: number): Promise<void> {
    if (!run) return;
    const r = run;
    const t0 = performance.now();
    const first = state.step;
    await trainLoop({
      steps: Math.min(n, maxSteps - state.step),
      startStep: state.step,
      logEvery,
      history: state.history,
      step: async (i) => {
        await yieldIfDue();
        const out = await r.step(i);
        state.step = i + 1;
        return out;
      },
      shouldStop: () => my !== generation || (n > 1 && !running),
    });
    const dt = (performance.now() - t0) / 1000;
    if (state.step > first && dt > 0) stepsPerSec = (state.step - first) / dt;
    if (my === generation) await draw();
  }

  function start(): void {
    if (!run || running || state.state === 'error' || state.step >= maxSteps) return;
    running = true;
    setState('running');
    const my = generation;
    loopDone = (async () => {
      try {
        while (running && my === generation && state.step < maxSteps) {
          await advance(logEvery, my);
          setState(running ? 'running' : 'paused');
          // Give the browser a frame between chunks: input, layout, painting the charts.
          await new Promise<void>((res) => requestAnimationFrame(() => res()));
          taskStart = performance.now();
        }
        if (my === generation && state.step >= maxSteps) {
          running = false;
          setState('done');
        }
      } catch (e) {
        showError(e);
      }
    })();
  }

  function pause(): void {
    if (!running) return;
    running = false;
    void loopDone.then(() => {
      if (state.state !== 'error' && state.state !== 'done') setState('paused');
    });
  }

  async function stepOnce(): Promise<void> {
    if (!run || running || state.state === 'error') return;
    try {
      // A single step is logged, so its metrics show at once.
      const r = run;
      const my = generation;
      await trainLoop({
        steps: 1,
        startStep: state.step,
        logEvery: 1,
        history: state.history,
        step: async (i) => {
          const out = await r.step(i);
          state.step = i + 1;
          return out;
        },
      });
      if (my === generation) {
        await draw();
        setState(state.step >= maxSteps ? 'done' : 'paused');
      }
    } catch (e) {
      showError(e);
    }
  }

  async function reset(thenStart: boolean): Promise<void> {
    running = false;
    generation++;
    await loopDone.catch(() => undefined);
    state.error = undefined;
    await create();
    if (thenStart) start();
  }

  bStart.addEventListener('click', start);
  bPause.addEventListener('click', pause);
  bStep.addEventListener('click', () => void stepOnce());
  bReset.addEventListener('click', () => void reset(false));

  await create();
  (window as unknown as { gensparsePanel: PanelState }).gensparsePanel = state;
  (window as unknown as { tf: typeof tf }).tf = tf;
  return state;
}

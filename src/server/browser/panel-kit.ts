/**
 * The DOM of a lesson's live panel: controls for the experiment's settings (kept in the URL),
 * Start / Pause / Step / Reset wired to the run state machine (src/lesson/controller), the
 * curves chart with ghost runs, the readout, the model diagram and the experiment's figures,
 * plus the narration's "Try it" buttons and inline figures. Everything else (what a setting
 * accepts, what a step does, how a figure looks) lives in the experiment and in src/lesson,
 * which have no DOM.
 */
import type { MetricHistory } from '../../core/train';
import { type LiveChart, mountChart } from '../../charts/browser';
import { imageGridRgba } from '../../charts/images';
import type { ChartSpec } from '../../charts/spec';
import { CURVES_FIGURE, type Experiment, type Figure, isImageGrid } from '../../lesson/experiment';
import { curvesChart } from '../../lesson/figures';
import {
  type SettingSpec,
  type SettingSpecs,
  type SettingValue,
  type SettingValues,
  describeSpec,
  parseAssignments,
  parseSetting,
  readSettings,
  settingsLabel,
  settingsQuery,
  sliderPosition,
  sliderValue,
} from '../../lesson/settings';
import { el } from './dom';
import type { WorkerRun } from './worker-run';

/** A metric for the readout: 4 significant digits, exponent outside [1e-3, 1e5). */
export function fmtMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toFixed(a >= 100 ? 1 : a >= 1 ? 3 : 4);
}

/** One place a figure is drawn: a chart, or a canvas of pixels. */
class FigureView {
  readonly box: HTMLElement;
  private readonly holder: HTMLElement;
  private chart: LiveChart | null = null;
  private canvas: HTMLCanvasElement | null = null;

  constructor(name: string, title: string, caption: string | undefined, size: 'wide' | 'half') {
    this.box = el('div', { class: `view ${size}`, 'data-figure': name });
    this.box.append(el('h3', {}, title));
    this.holder = el('div', { class: 'figure-holder' });
    this.box.append(this.holder);
    if (caption) this.box.append(el('p', { class: 'caption' }, caption));
  }

  draw(fig: Figure): void {
    if (isImageGrid(fig)) {
      const { width, height, rgba } = imageGridRgba(fig);
      if (!this.canvas) {
        this.canvas = el('canvas', { class: 'pixelated' });
        this.holder.replaceChildren(this.canvas);
        this.holder.className = 'figure-holder images';
      }
      this.canvas.width = width;
      this.canvas.height = height;
      this.canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
      return;
    }
    this.drawChart(fig);
  }

  drawChart(spec: ChartSpec): void {
    if (this.chart && this.canvas) {
      this.chart.update(spec);
      this.canvas.setAttribute('aria-label', spec.title); // the chart's title, for screen readers (and tests)
      return;
    }
    const canvas = el('canvas', { role: 'img', 'aria-label': spec.title });
    this.canvas = canvas;
    this.holder.className = 'figure-holder chart';
    this.holder.replaceChildren(canvas);
    this.chart = mountChart(canvas, spec);
  }

  get chartCanvas(): HTMLCanvasElement | null {
    return this.holder.querySelector('canvas');
  }
}

/**
 * Draws figures one per task (a `setTimeout(0)` each), so the browser gets the main thread back
 * between two charts and no single task draws a whole set of figures (drawing a probe's figures
 * together made long tasks on the SAE lessons). A figure that arrives
 * while its view still waits replaces the queued one.
 */
class DrawQueue {
  private readonly pending = new Map<FigureView, Figure>();
  private scheduled = false;

  draw(view: FigureView, fig: Figure): void {
    this.pending.set(view, fig);
    if (!this.scheduled) this.next();
  }

  private next(): void {
    this.scheduled = this.pending.size > 0;
    if (!this.scheduled) return;
    setTimeout(() => {
      const [view, fig] = this.pending.entries().next().value as [FigureView, Figure];
      this.pending.delete(view);
      view.draw(fig);
      this.next();
    }, 0);
  }
}

/** What a lesson's widgets may use: the run's state and its `query` (answered in the worker). */
export interface WidgetHost {
  readonly status: string;
  readonly step: number;
  query(name: string, args?: Record<string, unknown>): Promise<unknown>;
}

/**
 * A lesson's own widgets (a search box, a dashboard): `lessons/<id>/panel.ts` may export one
 * `mountWidgets`, which the page calls with the panel's root once the panel is mounted.
 */
export type MountWidgets = (root: HTMLElement, host: WidgetHost) => void;

/** What tests and curious learners read from `window.gensparsePanel`. */
export interface PanelHandle {
  /** The page's mirror of the run in the training worker. */
  readonly run: WorkerRun;
  /** The live run's metric history. */
  readonly history: MetricHistory;
  /** Sets these settings (a "Try it" body: "k=8 tied=false"), rebuilds and starts. */
  tryIt(assignments: string): Promise<void>;
}

/**
 * Mounts an experiment's panel into `root`. Settings come from `location.search`; changing one
 * rewrites the URL and rebuilds the model (the previous run stays as a ghost).
 */
export async function mountPanel<S extends SettingSpecs>(
  root: HTMLElement,
  experiment: Experiment<S>,
  run: WorkerRun,
  panelUrl: string,
  forcedBackend: string,
  /** Problems with the URL found before the panel (an unknown ?backend=), shown with the settings' own. */
  pageProblems: string[] = [],
): Promise<PanelHandle> {
  const specs = experiment.settings;
  const parsed = readSettings(specs, location.search);
  let values: SettingValues<S> = parsed.values;
  const urlProblems = [...pageProblems, ...parsed.problems, ...(experiment.check?.(values) ?? [])];
  if (experiment.check?.(values).length) values = readSettings(specs, '').values;
  root.textContent = '';
  root.append(el('h3', { class: 'panel-title' }, experiment.title));

  // ---- buttons, status, notes ----
  const buttons = el('div', { class: 'buttons' });
  const bStart = el('button', { type: 'button', id: 'btn-start' }, 'Start');
  const bPause = el('button', { type: 'button', id: 'btn-pause', class: 'secondary' }, 'Pause');
  const bStep = el('button', { type: 'button', id: 'btn-step', class: 'secondary' }, 'Step');
  const bReset = el('button', { type: 'button', id: 'btn-reset', class: 'secondary' }, 'Reset');
  const status = el('span', { class: 'status-line', id: 'panel-status', 'aria-live': 'polite' }, 'loading…');
  buttons.append(bStart, bPause, bStep, bReset, status);
  const problemLine = el('p', { class: 'problem-line', id: 'panel-problems' });
  const noteLine = el('p', { class: 'muted note-line', id: 'panel-note' });

  // ---- settings, folded into a <details> whose summary names the current settings ----
  const details = el('details', { class: 'settings', id: 'panel-settings' });
  const summary = el('summary', {}, 'Settings');
  const form = el('form', { class: 'controls', id: 'panel-controls' });
  details.append(summary, form);
  const inputs = new Map<string, { set(v: SettingValue): void }>();
  for (const [name, spec] of Object.entries(specs)) {
    const control = settingControl(name, spec, (raw) => onSettingChange(name, spec, raw));
    inputs.set(name, control);
    form.append(control.label);
  }
  form.addEventListener('submit', (e) => e.preventDefault());

  const readout = el('div', { class: 'readout', id: 'panel-readout' });
  const diagram = el('div', { class: 'diagram', id: 'panel-diagram' });
  const curves = new FigureView(
    CURVES_FIGURE,
    'Training curves',
    'Faded curves: earlier runs (settings in the legend).',
    'wide',
  );
  const ghostBar = el('div', { class: 'ghost-bar' });
  const bClearGhosts = el('button', { type: 'button', class: 'link', id: 'btn-clear-ghosts' }, 'forget earlier runs');
  ghostBar.append(bClearGhosts);
  curves.box.append(ghostBar);
  const viewsBox = el('div', { class: 'views', id: 'panel-views' });
  root.append(buttons, problemLine, noteLine, details, readout, diagram, curves.box, viewsBox);

  // Each figure: one view in the panel, plus one per {{figure name}} slot in the narration.
  const views = new Map<string, FigureView[]>();
  views.set(CURVES_FIGURE, [curves]);
  for (const [name, info] of Object.entries(experiment.figures)) {
    const v = new FigureView(name, info.title, info.caption, info.size ?? 'wide');
    v.box.hidden = true; // until the first probe draws it
    viewsBox.append(v.box);
    views.set(name, [v]);
  }
  for (const slot of Array.from(document.querySelectorAll<HTMLElement>('.figure-slot[data-figure]'))) {
    const name = slot.dataset.figure ?? '';
    const info = name === CURVES_FIGURE ? { title: 'Training curves' } : experiment.figures[name];
    if (!info) {
      slot.append(el('p', { class: 'error-box' }, `no figure '${name}' in this lesson's experiment`));
      continue;
    }
    const v = new FigureView(name, info.title, info.caption, 'wide');
    slot.append(v.box);
    views.get(name)?.push(v);
  }

  const controller = run;
  controller.onState = () => showState();
  controller.onCurves = () => drawCurves();
  // A figure the run does not make (the latent grid when Z != 2, toy-data plots on MNIST) is hidden.
  const drawQueue = new DrawQueue();
  controller.onFigures = (figures) => {
    for (const [name, list] of views) {
      if (name === CURVES_FIGURE) continue;
      const fig = figures[name];
      for (const v of list) {
        v.box.hidden = !fig;
        if (fig) drawQueue.draw(v, fig);
      }
    }
  };

  function writeUrl(): void {
    const q = settingsQuery(specs, values, { backend: forcedBackend });
    history.replaceState(null, '', `${location.pathname}?${q}${location.hash}`);
  }

  function showProblems(list: string[]): void {
    problemLine.textContent = list.join('; ');
  }

  function onSettingChange(name: string, spec: SettingSpec, raw: string): void {
    const v = parseSetting(spec, raw);
    // A 'change' that leaves the value as it is (the browser fires one when focus leaves a field
    // whose value a script already applied) must not throw the current run away.
    if (v !== undefined && v === (values as Record<string, SettingValue>)[name]) return;
    const next = { ...values, [name]: v } as SettingValues<S>;
    const problems = v === undefined ? [`${name}: must be ${describeSpec(spec)}`] : (experiment.check?.(next) ?? []);
    if (problems.length) {
      showProblems(problems);
      inputs.get(name)?.set((values as Record<string, SettingValue>)[name]);
      return;
    }
    void apply(next, controller.status === 'running');
  }

  /** New settings: URL, controls, a fresh run (the old one becomes a ghost); then maybe start. */
  async function apply(next: SettingValues<S>, thenStart: boolean): Promise<void> {
    values = next;
    for (const [n, c] of inputs) c.set((values as Record<string, SettingValue>)[n]);
    writeUrl();
    showProblems([]);
    await controller.reset(values as Record<string, unknown>);
    if (thenStart) startRun();
  }

  /** Starts training; when the loop stops (paused, done, error) the last steps are drawn. */
  function startRun(): void {
    controller.start();
  }

  let lastStatus = '';
  function showState(): void {
    const c = controller;
    root.dataset.state = c.status;
    root.dataset.step = String(c.step);
    root.dataset.ghosts = String(c.ghostCount);
    const busy = c.status === 'loading' || c.status === 'error' || c.status === 'done';
    // Start stays pressable while loading: the run starts once it is ready (WorkerRun queues it).
    bStart.disabled =
      c.startQueued || c.status === 'error' || c.status === 'done' || c.status === 'running' || c.status === 'pausing';
    bStart.setAttribute('aria-busy', String(c.startQueued));
    root.dataset.startQueued = String(c.startQueued);
    bPause.disabled = c.status !== 'running';
    bStep.disabled = busy || c.status === 'running' || c.status === 'pausing';
    bReset.disabled = c.status === 'loading';
    const rate = c.stepsPerSec;
    const rateText = c.status === 'running' && rate > 0 ? ` · ${rate.toFixed(rate >= 10 ? 0 : 1)} steps/s` : '';
    const word =
      c.status === 'pausing'
        ? ' · pausing…'
        : c.status === 'done'
          ? ' · done'
          : c.status === 'loading'
            ? c.startQueued
              ? ' · loading… training starts when ready'
              : ' · loading…'
            : '';
    status.textContent = `step ${c.step}${rateText}${word}`;
    noteLine.textContent = c.note;
    summary.textContent = `Settings: ${settingsLabel(specs, values)}`;
    ghostBar.hidden = c.ghostCount === 0;
    if (c.status === 'error' && lastStatus !== 'error') {
      viewsBox.prepend(el('p', { class: 'error-box' }, c.error));
    }
    lastStatus = c.status;
  }

  function showReadout(): void {
    const h = controller.history;
    const names = experiment.metrics.readout ?? Object.keys(h.values[h.values.length - 1] ?? {});
    readout.textContent = '';
    for (const n of names) {
      const v = h.last(n);
      if (v === undefined) continue;
      const d = el('div');
      d.append(
        el('span', { class: 'k' }, experiment.metrics.names?.[n] ?? n),
        // the SAE trainer reports deadFraction as NaN until deadWindow inputs have passed
        el(
          'span',
          { class: 'v', 'data-metric': n },
          n === 'deadFraction' && Number.isNaN(v) ? 'not yet measured' : fmtMetric(v),
        ),
      );
      readout.append(d);
    }
  }

  function showDiagram(active: boolean): void {
    const boxes = controller.diagram;
    diagram.hidden = boxes.length === 0;
    diagram.textContent = '';
    boxes.forEach((b, i) => {
      if (i > 0) diagram.append(el('span', { class: 'arrow' }, '→'));
      const d = el('div', { class: `box ${b.role}${active ? ' lit' : ''}` });
      d.style.setProperty('--i', String(i));
      d.append(el('span', { class: 'label' }, b.label), el('span', { class: 'shape' }, `[${b.shape.join(', ')}]`));
      diagram.append(d);
    });
  }

  /** The curves chart and the readout, from the worker's latest history (it sends them at most every 200 ms). */
  function drawCurves(): void {
    const spec = curvesChart(experiment.title, experiment.metrics, controller.history, controller.ghosts);
    for (const v of views.get(CURVES_FIGURE) ?? []) v.drawChart(spec);
    const canvas = curves.chartCanvas;
    if (canvas) {
      // For tests: the live series' values.
      const live = Object.fromEntries(
        experiment.metrics.chart.map((m) => [m, controller.history.series(m).map((p) => p.value)]),
      );
      canvas.id = 'loss-chart';
      canvas.dataset.series = JSON.stringify(live);
      canvas.dataset.points = String(live[experiment.metrics.chart[0]]?.length ?? 0);
      canvas.dataset.ghosts = String(controller.ghosts.length);
    }
    showReadout();
    showDiagram(controller.status === 'running');
  }

  bStart.addEventListener('click', startRun);
  // The buttons as they are while the first model loads (before the worker's first state).
  showState();
  bPause.addEventListener('click', () => controller.pause());
  bStep.addEventListener('click', () => void controller.stepOnce());
  bReset.addEventListener('click', () => void apply(values, false));
  bClearGhosts.addEventListener('click', () => {
    void controller.clearGhosts();
  });

  const handle: PanelHandle = {
    run: controller,
    get history() {
      return controller.history;
    },
    async tryIt(assignments: string) {
      const next = { ...values, ...parseAssignments(specs, assignments) } as SettingValues<S>;
      const problems = experiment.check?.(next) ?? [];
      if (problems.length) return showProblems(problems);
      await apply(next, true);
    },
  };
  // "Try it" buttons in the narration. On a phone the panel sits above the text, out of sight
  // from a button further down: bring it into view, or the run would start unseen.
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button.try-it[data-try]'))) {
    b.disabled = false;
    b.addEventListener('click', () => {
      const box = (root.closest('#panel') ?? root).getBoundingClientRect();
      if (box.bottom < 0 || box.top > window.innerHeight) root.scrollIntoView({ block: 'start' });
      void handle.tryIt(b.dataset.try ?? '').catch((e: Error) => showProblems([e.message]));
    });
  }

  writeUrl();
  // Shown at once: the first model may take seconds to build, and the URL already changed.
  showProblems(urlProblems);
  await controller.init(panelUrl, forcedBackend, values as Record<string, unknown>);
  (window as unknown as { gensparsePanel: PanelHandle }).gensparsePanel = handle;
  return handle;
}

/** The control of one setting: a select, a checkbox, a slider, or a number box. */
function settingControl(
  name: string,
  spec: SettingSpec,
  onChange: (raw: string) => void,
): { label: HTMLLabelElement; set(v: SettingValue): void } {
  const id = `setting-${name}`;
  const label = el('label', { for: id, class: spec.kind === 'bool' ? 'check' : '' });
  if (spec.help) label.title = spec.help;
  if (spec.kind === 'choice') {
    const input = el('select', { id, name });
    for (const o of spec.options) input.append(el('option', { value: o }, o));
    input.value = spec.default;
    input.addEventListener('change', () => onChange(input.value));
    label.append(document.createTextNode(spec.label), input);
    return {
      label,
      set: (v) => {
        input.value = String(v);
      },
    };
  }
  if (spec.kind === 'bool') {
    const input = el('input', { id, name, type: 'checkbox' });
    input.checked = spec.default;
    input.addEventListener('change', () => onChange(input.checked ? '1' : '0'));
    label.append(input, document.createTextNode(spec.label));
    return {
      label,
      set: (v) => {
        input.checked = Boolean(v);
      },
    };
  }
  if (spec.slider) {
    // A range input over [0, 1000] positions (log-spaced when asked) with the value beside it.
    const input = el('input', { id, name, type: 'range', min: '0', max: '1000', step: '1' });
    const shown = el('output', { for: id });
    const row = el('span', { class: 'slider-row' });
    row.append(input, shown);
    const set = (v: SettingValue) => {
      input.value = String(Math.round(1000 * sliderPosition(spec, Number(v))));
      shown.textContent = String(v);
      input.dataset.value = String(v);
    };
    input.addEventListener('input', () => {
      shown.textContent = String(sliderValue(spec, Number(input.value) / 1000));
    });
    input.addEventListener('change', () => onChange(String(sliderValue(spec, Number(input.value) / 1000))));
    label.append(document.createTextNode(spec.label), row);
    set(spec.default);
    return { label, set };
  }
  const input = el('input', {
    id,
    name,
    type: 'number',
    min: String(spec.min),
    max: String(spec.max),
    step: spec.kind === 'int' ? '1' : 'any',
  });
  input.value = String(spec.default);
  input.addEventListener('change', () => onChange(input.value));
  label.append(document.createTextNode(spec.label), input);
  return {
    label,
    set: (v) => {
      input.value = String(v);
    },
  };
}

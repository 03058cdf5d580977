/**
 * The one-experiment-per-lesson contract (TensorFlow Playground's pattern: a model with
 * `oneStep()` and probes; the page and the script only drive it). No DOM and no Node APIs
 * here: `lessons/<id>/experiment.ts` runs unchanged in the page, in a Web Worker and in Node.
 *
 *   lessons/<id>/experiment.ts   export default defineExperiment({ title, settings, metrics, figures, create })
 *   lessons/<id>/panel.ts        export { default } from './experiment';   (the page drives it)
 *   lessons/<id>/script.ts       runs it with `runExperiment` from src/lesson/node (PNG files)
 *
 * `create(ctx)` builds the model from the settings and returns an `ExperimentRun`:
 *   - `oneStep(i)`: one optimisation step; returns scalar tensors or numbers (the driver reads
 *     them only every `logEvery` steps, so the backend's queue stays full);
 *   - `probes(history)`: the figures, as plain data (`ChartSpec` from src/charts, or an
 *     `ImageGrid`), keyed by the names declared in `figures`; the page draws them live, the
 *     script writes them as PNG, a narration step places one inline with `{{figure name}}`;
 *   - `dispose()`: frees every tensor.
 * The metrics chart ("curves", with earlier runs as ghosts) is drawn by the driver from
 * `metrics.chart`; experiments do not draw it themselves.
 */
import type { Rng } from '../core/random';
import type { MetricHistory, StepResult } from '../core/train';
import type { ChartSpec } from '../charts/spec';
import type { ImageGrid } from '../charts/images';
import type { ArrayDataset } from '../vae/dataset';
import type { CharLm } from '../data/lm/char-lm';
import type { SettingSpecs, SettingValues } from './settings';

export type { ImageGrid };

/** What a probe returns for one figure: a chart, or a grid of images (`imageGrid` in src/charts/images). */
export type Figure = ChartSpec | ImageGrid;

/** Static description of a figure (so the page can lay it out before the first probe). */
export interface FigureInfo {
  /** Heading above the figure. */
  title: string;
  /** One line under it: what to look for. */
  caption?: string;
  /** 'wide' spans the panel; 'half' sits two to a row on wide screens. Default 'wide'. */
  size?: 'wide' | 'half';
}

/** The reserved figure name of the metrics chart the driver draws from `metrics.chart`. */
export const CURVES_FIGURE = 'curves';

/** One box of the model diagram (x -> encoder -> (mu, log sigma^2) -> z -> decoder -> x-hat). */
export interface DiagramBox {
  /** Short label ("encoder", "z = mu + sigma * eps"). */
  label: string;
  /** The live tensor's shape ([B, Z]); shown in the box. */
  shape: number[];
  /** Colour class: data, a parameterised map, a latent, a loss. */
  role: 'data' | 'map' | 'latent' | 'loss';
}

/**
 * Characters of the character model's text a lesson sees (the first ones of each split), so the
 * page (which downloads them) and the Node script (which reads the text packages) see the same text.
 */
export const CHAR_TEXT_CHARS = { train: 262144, heldOut: 16384 } as const;

/** Where data comes from: the page fetches the site's MNIST subset, Node reads the IDX files. */
export interface ExperimentData {
  /**
   * MNIST images scaled to [0, 1] (784 values each); `binarizeSeed` draws each pixel once as
   * Bernoulli(grey level). The page serves 10,000 training and 1,000 test images.
   */
  mnist(split: 'train' | 'test', limit?: number, binarizeSeed?: number): Promise<ArrayDataset>;
  /** The shipped character model (assets/char-lm), a fresh copy the caller disposes. */
  charLm?(): Promise<CharLm>;
  /** The first `CHAR_TEXT_CHARS[split]` characters of the char model's training or held-out text. */
  charText?(split: 'train' | 'heldOut'): Promise<string>;
}

/** What `create` receives. */
export interface ExperimentContext<S extends SettingSpecs> {
  settings: SettingValues<S>;
  /** Seeded from `settings.seed`. */
  rng: Rng;
  data: ExperimentData;
  /** A line of status text (the page shows it under the buttons, the script logs it). */
  note(text: string): void;
}

/** A built model, driven one step at a time. */
export interface ExperimentRun {
  /** One optimisation step `i` (counting from 0); returns scalar tensors or numbers. */
  oneStep(i: number): StepResult | Promise<StepResult>;
  /** The figures now, keyed by the names in `figures` (a name may be left out: not drawn this time). */
  probes(history: MetricHistory): Promise<Record<string, Figure>>;
  /** The model diagram with the live shapes (optional). */
  diagram?(): DiagramBox[];
  /**
   * Answers a page widget's question about the live model (optional): plain, structured-cloneable
   * data in and out (the page asks the worker, which calls this between training steps).
   */
  query?(name: string, args: Record<string, unknown>): Promise<unknown>;
  /** Frees every tensor the run holds. */
  dispose(): void;
}

/** The metrics chart: which metrics, on which axis. */
export interface MetricsSpec {
  /** Metrics drawn on the curves chart (the first is the loss the tests check). */
  chart: string[];
  /** The y axis title, with units ("nats per example"). */
  yTitle: string;
  /** Log y axis (a loss spanning decades). */
  log?: boolean;
  /** Metrics shown as numbers (default: every metric). */
  readout?: string[];
  /** Human names of metrics for the legend and the readout ("-ELBO (train batch)"). */
  names?: Record<string, string>;
}

/**
 * A lesson's experiment. `R` lets a script reach more than the contract (e.g. the trained model
 * for a longer evaluation); the page only uses `ExperimentRun`.
 */
export interface Experiment<S extends SettingSpecs = SettingSpecs, R extends ExperimentRun = ExperimentRun> {
  title: string;
  settings: S;
  metrics: MetricsSpec;
  figures: Record<string, FigureInfo>;
  /** Read metrics (and redraw in the page) every this many steps. Default 10. */
  logEvery?: number;
  /** Training stops by itself here. */
  maxSteps: number;
  /**
   * Cross-setting validation (e.g. k <= n): the problems, each naming the setting; an empty
   * list when the settings are fine. The page shows them and keeps the previous value.
   */
  check?(settings: SettingValues<S>): string[];
  create(ctx: ExperimentContext<S>): Promise<R>;
}

/** Identity, for type inference in experiment files. */
export function defineExperiment<S extends SettingSpecs, R extends ExperimentRun = ExperimentRun>(
  def: Experiment<S, R>,
): Experiment<S, R> {
  return def;
}

/** True when a figure is an image grid (else a ChartSpec). */
export function isImageGrid(f: Figure): f is ImageGrid {
  return (f as ImageGrid).kind === 'images';
}

/**
 * Runs a lesson's experiment in Node, as its page does: the same `create`, `oneStep` and
 * `probes`, driven by the core training loop with a progress bar; then every figure is written
 * as a PNG (charts through src/charts, image grids as pixels). Lesson scripts call this and
 * add their own numbers.
 */
import * as path from 'node:path';
import { Rng } from '../core/random';
import { progressBar } from '../core/progress';
import { MetricHistory, type TrainCallbacks, trainLoop } from '../core/train';
import { writeChartPng, writeImageGridPng } from '../charts/node';
import { mnistDataset } from '../vae/mnist';
import { loadCharLm } from '../data/lm/assets';
import { loadTextSplit } from '../data/lm/text';
import {
  CHAR_TEXT_CHARS,
  CURVES_FIGURE,
  type Experiment,
  type ExperimentData,
  type ExperimentRun,
  type Figure,
  isImageGrid,
} from './experiment';
import { type Ghost, curvesChart, makeGhost } from './figures';
import { type SettingSpecs, type SettingValues, defaultSettings, settingsLabel } from './settings';

/**
 * What `npm run lesson` passes to a lesson's Node script (the default export of
 * lessons/<id>/script.ts): a short run or the full one, the folder for its PNGs, the seed, and
 * where to print progress lines.
 */
export interface LessonScriptOptions {
  quick: boolean;
  outDir: string;
  seed: number;
  log: (line: string) => void;
}
/** A lesson's Node script: runs the experiment and returns its key numbers. */
export type LessonScript = (opts: LessonScriptOptions) => Promise<Record<string, number>>;

let textSplit: { train: string; heldOut: string } | null = null;

/** MNIST from the IDX files, the char model and its text from the package (the same subsets the page serves). */
export const NODE_DATA: ExperimentData = {
  async charLm() {
    return loadCharLm().model;
  },
  async charText(split) {
    if (!textSplit) {
      const all = loadTextSplit();
      textSplit = {
        train: all.train.slice(0, CHAR_TEXT_CHARS.train),
        heldOut: all.heldOut.slice(0, CHAR_TEXT_CHARS.heldOut),
      };
    }
    return textSplit[split];
  },
  async mnist(split, limit, binarizeSeed) {
    return mnistDataset({
      split,
      limit: limit ?? (split === 'train' ? 10000 : 1000),
      binarize: binarizeSeed === undefined ? 'none' : 'stochastic',
      seed: binarizeSeed,
    });
  },
};

/** A progress bar (stderr) for one run of a sweep, showing its loss and L0. */
export function sweepProgressBar(label: string, steps: number): TrainCallbacks {
  return progressBar({ label, total: steps, show: ['loss', 'l0'] });
}

export interface RunExperimentOptions<S extends SettingSpecs> {
  /** Where MNIST comes from (default: the same subset sizes as the page). */
  data?: ExperimentData;
  /** Settings that differ from the defaults. */
  settings?: Partial<SettingValues<S>>;
  steps: number;
  log?: (line: string) => void;
  /** Extra callbacks on logged steps (e.g. a held-out evaluation). */
  callbacks?: TrainCallbacks[];
  /** Show a progress bar on stderr (default true). */
  progress?: boolean;
}

/** A trained run: the caller disposes it. */
export interface ExperimentResult<S extends SettingSpecs, R extends ExperimentRun = ExperimentRun> {
  run: R;
  settings: SettingValues<S>;
  history: MetricHistory;
  /** "k=8, tied=false": the settings that differ from the defaults. */
  label: string;
}

/** Builds the experiment with `settings` and trains it `steps` steps. */
export async function runExperiment<S extends SettingSpecs, R extends ExperimentRun>(
  experiment: Experiment<S, R>,
  options: RunExperimentOptions<S>,
): Promise<ExperimentResult<S, R>> {
  const settings = { ...defaultSettings(experiment.settings), ...options.settings } as SettingValues<S>;
  const problems = experiment.check?.(settings) ?? [];
  if (problems.length) throw new Error(`${experiment.title}: ${problems.join('; ')}`);
  const log = options.log ?? (() => {});
  const label = settingsLabel(experiment.settings, settings);
  const run = await experiment.create({
    settings,
    rng: new Rng(Number((settings as Record<string, unknown>).seed ?? 1)),
    data: options.data ?? NODE_DATA,
    note: (t) => t && log(t),
  });
  const history = new MetricHistory();
  try {
    await trainLoop({
      steps: Math.min(options.steps, experiment.maxSteps),
      logEvery: experiment.logEvery ?? 10,
      history,
      step: (i) => run.oneStep(i),
      callbacks: [
        ...(options.progress === false
          ? []
          : [progressBar({ label: label.slice(0, 40), total: options.steps, show: experiment.metrics.chart })]),
        ...(options.callbacks ?? []),
      ],
    });
  } catch (e) {
    run.dispose();
    throw e;
  }
  return { run, settings, history, label };
}

/**
 * Writes the figures of a run as PNG files into `outDir`: `<prefix>curves.png` (with `ghosts`,
 * earlier runs, faded behind) and `<prefix><name>.png` for every probe. Returns the file names.
 */
export async function writeFigures<S extends SettingSpecs, R extends ExperimentRun>(
  experiment: Experiment<S, R>,
  result: ExperimentResult<S, R>,
  outDir: string,
  options: { prefix?: string; ghosts?: Ghost[]; only?: string[] } = {},
): Promise<string[]> {
  const prefix = options.prefix ?? '';
  const written: string[] = [];
  const want = (name: string) => !options.only || options.only.includes(name);
  if (want(CURVES_FIGURE)) {
    const spec = curvesChart(experiment.title, experiment.metrics, result.history, options.ghosts);
    written.push(path.basename(writeChartPng(path.join(outDir, `${prefix}${CURVES_FIGURE}.png`), spec)));
  }
  const figures: Record<string, Figure> = await result.run.probes(result.history);
  for (const [name, fig] of Object.entries(figures)) {
    if (!want(name)) continue;
    const file = path.join(outDir, `${prefix}${name}.png`);
    if (isImageGrid(fig)) writeImageGridPng(file, fig);
    else writeChartPng(file, fig, experiment.figures[name]?.size === 'half' ? { width: 480, height: 440 } : {});
    written.push(path.basename(file));
  }
  return written;
}

/** A ghost of a finished run (for the next run's curves chart). */
export function ghostOf<S extends SettingSpecs, R extends ExperimentRun>(
  experiment: Experiment<S, R>,
  result: ExperimentResult<S, R>,
): Ghost {
  return makeGhost(result.label, experiment.metrics, result.history);
}

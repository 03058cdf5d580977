/**
 * A terminal progress bar as a training callback (Node only).
 *
 *   vae  [#########.............]  42%  840/2000  loss 112.31  elbo -110.9  3.2 it/s  eta 6m
 *
 * On a terminal it redraws one line; in a log file (CI) it prints a line every `printEvery` logs.
 */
import type { Metrics, TrainCallbacks } from './train';

export interface ProgressOptions {
  label?: string;
  total: number;
  /** Which metrics to show (default: all). */
  show?: string[];
  stream?: NodeJS.WriteStream;
  /** When not a TTY, print one line every this many logs. */
  printEvery?: number;
}

export function progressBar(options: ProgressOptions): TrainCallbacks {
  const { label = 'train', total, show, stream = process.stderr, printEvery = 10 } = options;
  const started = Date.now();
  let logs = 0;
  const render = (step: number, metrics: Metrics): string => {
    const done = step + 1;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - started) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const shown = Object.entries(metrics)
      .filter(([k]) => !show || show.includes(k))
      .map(([k, v]) => `${k} ${formatNumber(v)}`)
      .join('  ');
    return (
      `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%` +
      `  ${done}/${total}  ${shown}  ${rate.toFixed(1)} it/s  eta ${formatDuration(eta)}`
    );
  };
  return {
    onLog(step, metrics) {
      logs++;
      const line = render(step, metrics);
      if (stream.isTTY) stream.write(`\r${line.slice(0, (stream.columns || 160) - 1)}\x1b[K`);
      else if (logs % printEvery === 1 || step + 1 >= total) stream.write(`${line}\n`);
    },
    onEnd() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toPrecision(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(0)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

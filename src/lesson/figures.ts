/**
 * The metrics chart every lesson shows ("curves"): the live run's metrics over steps, with
 * earlier runs behind them as faded ghosts whose legend names their settings. Built here once
 * for the page and the Node script, as a `ChartSpec` (src/charts).
 */
import type { MetricHistory } from '../core/train';
import { CHART_COLORS, type ChartSpec, type SeriesSpec } from '../charts/spec';
import type { MetricsSpec } from './experiment';

/** An earlier run kept for comparison: its label (the settings that differ) and its curves. */
export interface Ghost {
  label: string;
  /** metric -> [step, value] points. */
  series: Record<string, Array<[number, number]>>;
}

/** The points of each charted metric (steps counted from 1). */
export function metricPoints(metrics: MetricsSpec, history: MetricHistory): Record<string, Array<[number, number]>> {
  const out: Record<string, Array<[number, number]>> = {};
  for (const m of metrics.chart) out[m] = history.series(m).map((p) => [p.step + 1, p.value] as [number, number]);
  return out;
}

/** A ghost of the run that produced `history`. */
export function makeGhost(label: string, metrics: MetricsSpec, history: MetricHistory): Ghost {
  return { label, series: metricPoints(metrics, history) };
}

/**
 * The curves chart: each metric of `metrics.chart` in its own colour; each ghost's curves in
 * the same colours, faded, labelled "<metric> (<settings>)". A log axis is used only when every
 * value is positive (a negative -ELBO on continuous data cannot sit on a log axis).
 */
export function curvesChart(
  title: string,
  metrics: MetricsSpec,
  history: MetricHistory,
  ghosts: Ghost[] = [],
): ChartSpec {
  const live = metricPoints(metrics, history);
  const name = (m: string) => metrics.names?.[m] ?? m;
  const series: SeriesSpec[] = [];
  metrics.chart.forEach((m, i) => {
    const color = CHART_COLORS[i % CHART_COLORS.length];
    for (const g of ghosts) {
      const pts = g.series[m] ?? [];
      if (pts.length) series.push({ name: `${name(m)} (${g.label})`, points: pts, color, ghost: true });
    }
    series.push({ name: name(m), points: live[m], color });
  });
  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const log = Boolean(metrics.log) && all.length > 0 && all.every((v) => v > 0);
  return { title, kind: 'line', x: { title: 'training step' }, y: { title: metrics.yTitle, log }, series };
}

/**
 * One chart definition for every figure of the package: a plain `ChartSpec` (data, axis titles
 * with units, log scales) that renders live in a lesson page (`./browser`) and to a PNG file in
 * Node (`./node`), both through Chart.js. A figure is a function returning a `ChartSpec`; the
 * page and the script call the same function, so the picture a learner sees and the PNG a
 * script writes cannot drift apart.
 *
 * Rules every spec follows (checked by `checkChartSpec`):
 * - both axes have a title (with units where there are units: "nats per example");
 * - every finite point is inside the frame: the axis range comes from the data (no robust
 *   clipping), and a series spanning decades asks for `log: true`;
 * - the legend sits above the plot area, so it never covers data.
 */
import { ConfigError } from '../base/errors';

/** The colour cycle (Okabe-Ito, readable for colour-blind viewers). */
export const CHART_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** One axis. */
export interface AxisSpec {
  /** Axis title, with units in parentheses where the quantity has units. */
  title: string;
  /** Logarithmic scale (all values must then be > 0). */
  log?: boolean;
  /** Fixed bounds; otherwise the range of the data. */
  min?: number;
  max?: number;
  /** Category labels (bar charts with a categorical x axis). */
  categories?: string[];
}

/** One series: a curve, a cloud of points, or bars. */
export interface SeriesSpec {
  /** Legend label (for a ghost run, its settings: "k=8, tied"). */
  name: string;
  /** Points as [x, y]; for a categorical x axis, x is the category's index. Non-finite y leave a gap. */
  points: Array<[number, number]>;
  /** How to draw it. Default: the chart's kind. */
  kind?: 'line' | 'scatter' | 'bar';
  /** CSS colour; default the next colour of `CHART_COLORS`. */
  color?: string;
  /** A ghost of an earlier run: drawn faded, behind the live series. */
  ghost?: boolean;
  /** Dashed line (a reference curve: a closed form, a bound). */
  dashed?: boolean;
  /** Point radius in pixels for scatter series. Default 3. */
  pointRadius?: number;
  /** Per-point labels shown in the tooltip (e.g. each run's settings on a frontier). */
  labels?: string[];
  /** Listed in the legend. Default true; false for a companion curve (an interval's second bound). */
  legend?: boolean;
}

/** A whole chart. */
export interface ChartSpec {
  /** Title above the chart. */
  title: string;
  /** The default kind of its series. */
  kind: 'line' | 'scatter' | 'bar' | 'histogram';
  x: AxisSpec;
  y: AxisSpec;
  series: SeriesSpec[];
  /** Optional caption under the title (what to look for). */
  subtitle?: string;
}

/** Throws a ConfigError naming the problem unless `spec` follows the rules above. */
export function checkChartSpec(spec: ChartSpec): ChartSpec {
  if (!spec || typeof spec !== 'object') throw new ConfigError('chart', `must be a ChartSpec object, got ${spec}`);
  if (!spec.title) throw new ConfigError('chart.title', 'is required');
  for (const axis of ['x', 'y'] as const) {
    if (!spec[axis]?.title) throw new ConfigError(`chart.${axis}.title`, `is required (chart '${spec.title}')`);
  }
  if (!Array.isArray(spec.series)) throw new ConfigError('chart.series', `must be an array (chart '${spec.title}')`);
  for (const s of spec.series) {
    if (!Array.isArray(s.points)) throw new ConfigError('chart.series.points', `must be an array (series '${s.name}')`);
    for (const axis of ['x', 'y'] as const) {
      if (!spec[axis].log) continue;
      const at = axis === 'x' ? 0 : 1;
      const bad = s.points.find((p) => Number.isFinite(p[at]) && !(p[at] > 0));
      if (bad) {
        throw new ConfigError(
          `chart.${axis}.log`,
          `needs positive values, series '${s.name}' has ${bad[at]} (chart '${spec.title}')`,
        );
      }
    }
  }
  return spec;
}

/** Histogram of `values` in `bins` equal bins over [lo, hi] (default the data range): points [binCentre, count]. */
export function histogramPoints(
  values: ArrayLike<number>,
  bins = 40,
  range?: [number, number],
): Array<[number, number]> {
  let lo = range?.[0] ?? Number.POSITIVE_INFINITY;
  let hi = range?.[1] ?? Number.NEGATIVE_INFINITY;
  if (!range) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!Number.isFinite(lo)) return [];
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return counts.map((c, b) => [lo + (b + 0.5) * width, c]);
}

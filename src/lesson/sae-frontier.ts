/**
 * The MSE/L0 frontier of the SAE lessons (4-6): the learner's finished runs, each a point
 * (L0, normalised MSE), and the chart that draws them with each architecture's Pareto curve.
 *
 * The frontier habit (Gao et al. 2024, arXiv:2406.04093, Sec. 2.4 and Fig. 1): a run is judged by
 * where it sits against the curve traced by the others, never by one coordinate alone.
 *
 * `FrontierRuns` holds the runs; where they are kept is its `FrontierStore`: in memory by default
 * (a script, a test), IndexedDB in the page (src/server/browser/frontier-store.ts), so lessons 4-6
 * share them. Pure model code: no DOM, no Node.
 */
import type { ChartSpec } from '../charts/spec';
import { CHART_COLORS } from '../charts/spec';
import { paretoFront } from '../analysis/frontier';

/** One run on the frontier chart. */
export interface FrontierPoint {
  l0: number;
  fvu: number;
  /** Which family it belongs to (one colour per architecture). */
  architecture: string;
  /** Its settings, for the tooltip and the legend ("lambda = 1"). */
  label: string;
  /** A run of the lesson 4 exercise ('A' or 'B'): shown on its own, not part of the frontier. */
  tag?: 'A' | 'B';
  /** The run's sparsity coefficient (lambda), for charts against it. */
  coefficient?: number;
}

/** Where finished runs are kept: `load` answers at once, `save` replaces them all. */
export interface FrontierStore {
  load(): FrontierPoint[];
  save(points: FrontierPoint[]): void;
}

/** A store that keeps the runs in memory for as long as it lives. */
export function memoryFrontierStore(): FrontierStore {
  let kept: FrontierPoint[] = [];
  return {
    load: () => kept,
    save: (points) => {
      kept = points;
    },
  };
}

/** The finished runs of lessons 4-6, kept in a store (in memory unless given one). */
export class FrontierRuns {
  /** At most this many runs are kept; the oldest drop out first. */
  static readonly MAX_RUNS = 200;

  constructor(readonly store: FrontierStore = memoryFrontierStore()) {}

  /** Every finished run kept so far, all lessons together (oldest first). */
  points(): FrontierPoint[] {
    return this.store.load();
  }

  /** Keeps a finished run; returns all of them. */
  record(p: FrontierPoint): FrontierPoint[] {
    const all = [...this.store.load(), p].slice(-FrontierRuns.MAX_RUNS);
    this.store.save(all);
    return all;
  }

  /** Forgets the kept runs of one architecture. */
  forget(architecture: string): void {
    this.store.save(this.store.load().filter((p) => p.architecture !== architecture));
  }
}

/**
 * Normalised MSE the frontier of `front` reaches at `l0`: linear interpolation in (L0, log FVU)
 * between the Pareto points on either side; outside the range, the nearest end (NaN if empty).
 */
export function frontierAt(front: FrontierPoint[], l0: number): number {
  const pts = paretoFront(front.map((p) => [p.l0, p.fvu]));
  if (pts.length === 0) return Number.NaN;
  if (l0 <= pts[0][0]) return pts[0][1];
  for (let j = 1; j < pts.length; j++) {
    const [x0, y0] = pts[j - 1];
    const [x1, y1] = pts[j];
    if (l0 <= x1) {
      const t = (l0 - x0) / (x1 - x0);
      return Math.exp(Math.log(y0) + t * (Math.log(y1) - Math.log(y0)));
    }
  }
  return pts[pts.length - 1][1];
}

/**
 * How far a run sits above (> 0, worse) or below (< 0, better) the frontier of other runs, as the
 * log ratio log(FVU_run / FVU_frontier(L0_run)). Two runs are compared by this, not by FVU or L0.
 */
export function frontierGap(front: FrontierPoint[], run: { l0: number; fvu: number }): number {
  return Math.log(run.fvu / frontierAt(front, run.l0));
}

/** Okabe-Ito colour per architecture, the same in every lesson. */
export const ARCH_COLORS: Record<string, string> = {
  'relu-l1': CHART_COLORS[0],
  topk: CHART_COLORS[1],
  jumprelu: CHART_COLORS[2],
  exercise: CHART_COLORS[3],
};

/** The run still training, as one black point on the frontier chart (until it finishes and is recorded). */
export function currentRunPoint(name: string, at: { l0: number; fvu: number }): ChartSpec['series'][number] {
  return { name, kind: 'scatter', color: '#000000', pointRadius: 5, points: [[at.l0, at.fvu]] };
}

/**
 * The frontier chart: normalised MSE (log scale) against L0, one scatter series per architecture
 * with its Pareto curve, plus `extra` series (the exercise's two runs, a live point).
 */
export function frontierChart(points: FrontierPoint[], extra: ChartSpec['series'] = [], subtitle?: string): ChartSpec {
  const byArch = new Map<string, FrontierPoint[]>();
  for (const p of points.filter((q) => !q.tag)) byArch.set(p.architecture, [...(byArch.get(p.architecture) ?? []), p]);
  const series: ChartSpec['series'] = [];
  points
    .filter((q) => q.tag)
    .forEach((q, j) =>
      series.push({
        name: `${q.tag}: ${q.label}`,
        kind: 'scatter',
        color: CHART_COLORS[3 + (q.tag === 'B' ? 1 : 0)],
        pointRadius: 6,
        points: [[q.l0, q.fvu]],
        labels: [`run ${q.tag} (${j})`],
      }),
    );
  for (const [arch, pts] of byArch) {
    const color = ARCH_COLORS[arch] ?? CHART_COLORS[4];
    series.push({
      name: `${arch} runs`,
      kind: 'scatter',
      color,
      points: pts.map((p) => [p.l0, p.fvu]),
      labels: pts.map((p) => p.label),
      pointRadius: 4,
    });
    const front = paretoFront(pts.map((p) => [p.l0, p.fvu]));
    if (front.length > 1) series.push({ name: `${arch} frontier`, kind: 'line', color, points: front, dashed: true });
  }
  return {
    title: 'The MSE/L0 frontier: lower left is better',
    subtitle,
    kind: 'scatter',
    x: { title: 'L0 (active latents per input)' },
    y: { title: 'normalised MSE (FVU, log scale)', log: true },
    series: [...series, ...extra],
  };
}

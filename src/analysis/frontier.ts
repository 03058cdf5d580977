/**
 * Frontiers: a run is Pareto-optimal when no other run is at least as good on both axes and
 * strictly better on one. The x axis (L0) is always minimised; the y axis is minimised
 * (normalised MSE) or maximised (fraction of loss recovered, F1). MSE and L0 are judged together,
 * on a frontier, never either alone (Gao et al. 2024, arXiv:2406.04093, Sec. 2.4 and Fig. 1).
 */
import { InputError } from '../base/errors';

/** Does (x1, y1) dominate (x2, y2)? Lower x is better; y better by `better`. */
export function dominates(a: [number, number], b: [number, number], better: 'lower' | 'higher'): boolean {
  const yAtLeast = better === 'lower' ? a[1] <= b[1] : a[1] >= b[1];
  const yStrict = better === 'lower' ? a[1] < b[1] : a[1] > b[1];
  return a[0] <= b[0] && yAtLeast && (a[0] < b[0] || yStrict);
}

/** For each point, whether no other point dominates it (non-finite points are never optimal). */
export function paretoMask(points: Array<[number, number]>, better: 'lower' | 'higher'): boolean[] {
  return points.map((p, i) => {
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) return false;
    return !points.some((q, j) => j !== i && Number.isFinite(q[0]) && Number.isFinite(q[1]) && dominates(q, p, better));
  });
}

/** The Pareto-optimal points sorted by x (ties in x: the better y first, duplicates kept once). */
export function paretoPoints(points: Array<[number, number]>, better: 'lower' | 'higher'): Array<[number, number]> {
  if (!Array.isArray(points)) throw new InputError('points', 'must be an array of [x, y]');
  const mask = paretoMask(points, better);
  const kept = points
    .filter((_, i) => mask[i])
    .sort((a, b) => a[0] - b[0] || (better === 'lower' ? a[1] - b[1] : b[1] - a[1]));
  return kept.filter((p, i) => i === 0 || p[0] !== kept[i - 1][0] || p[1] !== kept[i - 1][1]);
}

/** The front when both axes are minimised (L0 and FVU): `paretoPoints(points, 'lower')`. */
export function paretoFront(points: Array<[number, number]>): Array<[number, number]> {
  return paretoPoints(points, 'lower');
}

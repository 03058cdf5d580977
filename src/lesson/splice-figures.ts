/**
 * The splice-loss figure of the lessons that replace part of the character model (lesson 9: the
 * residual stream by an SAE's reconstruction; lesson 10: an MLP by a transcoder): the model's
 * loss at each probe with the original activation, with the replacement, and with the two
 * ablations it is measured against (src/sae/eval/splice.ts).
 */
import { CHART_COLORS, type ChartSpec } from '../charts/spec';
import type { SpliceLosses } from '../sae/eval/splice';

/** How each replaced series is named in the legend, e.g. spliced: 'spliced (MLP → transcoder)'. */
export interface SpliceSeriesNames {
  spliced: string;
  meanAblated: string;
  zeroAblated: string;
}

/** Cross-entropy against training step for clean, spliced, mean- and zero-ablated models. */
export function spliceLossChart(
  history: Array<SpliceLosses & { step: number }>,
  title: string,
  names: SpliceSeriesNames,
): ChartSpec {
  const pts = (f: (p: SpliceLosses) => number): Array<[number, number]> => history.map((p) => [p.step, f(p)]);
  return {
    title,
    kind: 'line',
    x: { title: 'training step' },
    y: { title: 'cross-entropy (nats per character)', log: true },
    series: [
      { name: 'clean (the model as trained)', points: pts((p) => p.cleanLoss), color: CHART_COLORS[6], dashed: true },
      { name: names.spliced, points: pts((p) => p.splicedLoss), color: CHART_COLORS[0] },
      { name: names.meanAblated, points: pts((p) => p.meanAblatedLoss), color: CHART_COLORS[4], dashed: true },
      { name: names.zeroAblated, points: pts((p) => p.zeroAblatedLoss), color: CHART_COLORS[1] },
    ],
  };
}

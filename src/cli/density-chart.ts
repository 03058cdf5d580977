/**
 * The feature-density histogram (Bricken et al. 2023: log10 of the fraction of inputs each latent
 * fires on) as a figure of the package's one chart stack: a `ChartSpec` that a page can draw live
 * and `writeChartPng` (src/charts/node) draws to PNG. Dead latents (density 0) have no log and are
 * counted in the title instead.
 */
import type { ChartSpec } from '../charts/spec';

/** What the chart shows: `densityHistogram` of `evaluateSae`, plus the dead count. */
export interface DensityChartData {
  log10Edges: number[];
  counts: number[];
  dead: number;
  latents: number;
}

/** The histogram as a ChartSpec: one bar per bin, at the bin's centre in log10 density. */
export function densityChart(data: DensityChartData): ChartSpec {
  const points = data.counts.map((count, i): [number, number] => [
    (data.log10Edges[i] + data.log10Edges[i + 1]) / 2,
    count,
  ]);
  return {
    title: `Latent density: ${data.latents} latents, ${data.dead} never fired (dead)`,
    subtitle: 'Fraction of the evaluated inputs each latent fires on',
    kind: 'histogram',
    x: { title: 'log10(fraction of inputs the latent fires on)', min: data.log10Edges[0], max: 0 },
    y: { title: 'latents', min: 0 },
    series: [{ name: 'latents', points }],
  };
}

/**
 * The README's table of experiments: one row per experiment with its headline numbers, the
 * command of its committed full run and the wall time, read from experiments/reports/<name>/report.json.
 * `npm run experiment -- --table` prints it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ReproductionRow, reproductionMarkdown } from '../src/analysis/reproduction';
import { mean, sig } from './common';
import { STUDIES } from './index';
import { type StudyReport, readReport } from './report';

// biome-ignore lint/suspicious/noExplicitAny: report numbers are a free-form tree, read by name here
type N = Record<string, any>;

/** One sentence of headline numbers per experiment, from its report's numbers. */
const HEADLINES: Record<string, (n: N) => string> = {
  'known-truth': (n) => {
    const names = Object.keys(n.perArchitecture);
    const f1 = (a: string) => mean(n.perArchitecture[a].f1[n.samplesSeen.length - 1]);
    const best = names.reduce((b, a) => (f1(a) > f1(b) ? a : b));
    return (
      `F1 at ${n.samplesSeen[n.samplesSeen.length - 1].toLocaleString('en-US')} samples, mean over seeds: ` +
      `${names.map((a) => `${a} ${sig(f1(a))}`).join(', ')} (best ${best}; untrained ${best} ${sig(mean(n.perArchitecture[best].baseline.f1))})`
    );
  },
  frontier: (n) => {
    const fam = ['ReLU+L1', 'JumpReLU', 'TopK', 'BatchTopK', 'Matryoshka', 'Multi-TopK'];
    const c = n.char.score.reduce((b: number, v: number, i: number) => (v > n.char.score[b] ? i : b), 0);
    return (
      `most loss recovered ${sig(n.char.score[c])} (${fam[n.char.family[c]]}, L0 ${sig(n.char.l0[c])}); FVU-optimal runs ` +
      `also optimal for loss recovered: ${sig(100 * n.char.frontAgreement, 2)}%`
    );
  },
  'dead-latents': (n) => {
    const w = n.widths.length - 1;
    return `dead at the end, n = ${n.widths[w]}: ${Object.entries(n.finalDeadFractionMean as Record<string, number[]>)
      .map(([id, v]) => `${id} ${sig(v[w])}`)
      .join(', ')}`;
  },
  'opposing-directions': (n) =>
    `${n.trainedCount[0]} / ${n.trainedCount[1]} of ${n.nLatents} latents below -0.9 / -0.7 (random: ` +
    `${sig(n.randomExpectedCount[0])} / ${sig(n.randomExpectedCount[1])} expected); ${n.big.nLatents} latents in blocks: ${sig(n.big.seconds)} s`,
  shuffling: (n) =>
    `neighbour cosine ${sig(n.neighbourCosine)}; tokens to FVU ${sig(n.targetFvu)}: sequential / shuffled = ` +
    `${n.tokenRatio === undefined ? 'n/a' : sig(n.tokenRatio)}; final FVU ${sig(n.best.sequential.finalFvu)} vs ${sig(n.best.shuffled.finalFvu)}`,
  splitting: (n) => {
    const last = n.synthFractions[n.synthFractions.length - 1];
    return (
      `known truth, ${n.widths[n.widths.length - 2]} -> ${n.widths[n.widths.length - 1]}: match ${sig(last.match)}, split ` +
      `${sig(last.split)}, new ${sig(last.new)}; stitched F1 ${sig(n.stitched.f1)} vs best single ` +
      `${sig(Math.max(...n.single.map((s: N) => s.f1)))}`
    );
  },
  progressive: (n) =>
    `Multi-TopK read at 4k: FVU ${sig(n.multiTopKFvu[4])} (trained at 4k: ${sig(n.dedicatedFvu[4])}, TopK read there: ` +
    `${sig(n.topkFvu[4])}); at k/4: ${sig(n.multiTopKFvu[0])} (${sig(n.dedicatedFvu[0])}); a(k+1)/a(k) median ${sig(n.nextRatio.multiTopKMedian)}`,
  absorption: (n) => {
    const i = n.toy.ks.length - 1;
    return `toy absorption at k = ${n.toy.ks[i]}: ${Object.entries(n.toy.rate as Record<string, number[]>)
      .map(([a, v]) => `${a} ${sig(v[i])}`)
      .join(', ')}`;
  },
  'threshold-gradients': (n) =>
    `theta-gradient variance x${sig(n.varianceRatio[n.windows.indexOf(8)] ?? Number.NaN)} at W = 8; L0 at lambda = ` +
    `${n.lambdas.slice(-3).join(' / ')}: ${n.l0.off
      .slice(-3)
      .map((v: number) => sig(v))
      .join(' / ')} (W = 8: ` +
    `${n.l0.on
      .slice(-3)
      .map((v: number) => sig(v))
      .join(' / ')})`,
  'batchtopk-threshold': (n) =>
    `inference L0 / k over k = ${n.ks.join(', ')}: global threshold ${n.l0.global.map((v: number, i: number) => sig(v / n.ks[i], 2)).join(', ')}; ` +
    `per-latent ${n.l0.perLatent.map((v: number, i: number) => sig(v / n.ks[i], 2)).join(', ')}`,
};

/** The markdown table (experiments without a committed full run say so). */
export function experimentsTable(reportsDir = path.join(__dirname, 'reports')): string {
  const rows = STUDIES.map((e) => {
    const file = path.join(reportsDir, e.name, 'report.json');
    if (!fs.existsSync(file)) return `| ${e.name} | no committed full run | \`npm run experiment -- ${e.name}\` | - |`;
    const r: StudyReport = readReport(file);
    const headline = HEADLINES[e.name]?.(r.numbers as N) ?? '';
    return `| [${e.name}](experiments/reports/${e.name}/summary.md) | ${headline} | \`${r.command}\` | ${Math.round(r.wallSeconds)} s |`;
  });
  return ['| experiment | headline numbers (full run) | command | wall time |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** Every reproduction row of the committed reports, in experiment order. */
export function reproductionRows(reportsDir = path.join(__dirname, 'reports')): ReproductionRow[] {
  return STUDIES.flatMap((e) => {
    const file = path.join(reportsDir, e.name, 'report.json');
    return fs.existsSync(file) ? (readReport(file).reproduction ?? []) : [];
  });
}

/** The README's reproduction table (src/analysis/reproduction.ts), or a line saying no report has rows yet. */
export function reproductionTable(reportsDir = path.join(__dirname, 'reports')): string {
  const rows = reproductionRows(reportsDir);
  return rows.length === 0 ? 'No committed report has reproduction rows yet.' : reproductionMarkdown(rows);
}

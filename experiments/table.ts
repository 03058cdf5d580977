/**
 * The table of experiments in docs/results.md: one row per experiment with its headline numbers, the
 * command of its committed full run and the wall time, read from experiments/reports/<name>/report.json.
 * `npm run experiment -- --table` prints it; its links are relative to docs/.
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
    const m = (v: number[]) => sig(v.reduce((a, b) => a + b, 0) / v.length);
    const [a, b] = [n.regimeA, n.regimeB];
    return (
      `more latents than features (n = ${b.nLatents}): dead tied+auxk ${m(b.finalHeldOutDead['tied+auxk'])} vs ` +
      `independent ${m(b.finalHeldOutDead.independent)}; more features than latents (n = ${a.nLatents}): FVU tied+auxk ` +
      `${m(a.finalFvu['tied+auxk'])} vs independent+auxk ${m(a.finalFvu['independent+auxk'])} (seed means)`
    );
  },
  'opposing-directions': (n) => {
    const m = (v: number[]) => sig(v.reduce((a, b) => a + b, 0) / v.length);
    return (
      `fraction of ${n.nLatents} latents below -0.9 / -0.7: ${m(n.finalFraction['below0.9'])} / ` +
      `${m(n.finalFraction['below0.7'])} trained, ${m(n.untrainedFraction['below0.9'])} / ${m(n.untrainedFraction['below0.7'])} ` +
      `untrained (random expectation ${sig(n.randomExpectedFraction[0])} / ${sig(n.randomExpectedFraction[1])}; seed means)`
    );
  },
  shuffling: (n) => {
    const mean = (v: number[]) => sig(v.reduce((t, x) => t + x, 0) / v.length);
    return (
      `neighbour cosine ${sig(n.neighbourCosine)}; tokens to FVU ${sig(n.targetFvu)}, sequential / shuffled: ` +
      `${mean(n.tokenRatio)} (mean over ${n.seeds.length} seeds); final FVU ${mean(n.finalFvu.sequential)} vs ${mean(n.finalFvu.shuffled)}`
    );
  },
  splitting: (n) => {
    const last = n.synth.final.length - 1;
    const share = (fs: N[]) => sig(fs.reduce((t: number, f: N) => t + f.match + f.split, 0) / fs.length);
    return (
      `match + split, known truth ${n.synth.widths[last]} -> ${n.synth.widths[last + 1]}: ${share(n.synth.final[last])} ` +
      `(untrained ${share(n.synth.untrained[last])}); character model: ${share(n.char.final[last])} ` +
      `(untrained ${share(n.char.untrained[last])}); means over ${n.synth.seeds.length} seeds`
    );
  },
  progressive: (n) => {
    const m = (v: number[]) => sig(v.reduce((a, b) => a + b, 0) / v.length);
    const [k, k4] = [n.reads.indexOf(n.k), n.reads.indexOf(4 * n.k)];
    return (
      `FVU at k = ${n.k}: Multi-TopK ${m(n.multiTopKFvu[k])} vs TopK ${m(n.topkFvu[k])}; at 4k: ${m(n.multiTopKFvu[k4])} ` +
      `vs ${m(n.topkFvu[k4])}; (k+1)-th pre-activation > 0 on ${m(n.curves.topk.nextPositive.map((c: number[]) => c[c.length - 1]))} ` +
      'of inputs (TopK; seed means)'
    );
  },
  absorption: (n) => {
    const at = (d: N) => {
      const ki = 0;
      const mean = (v: number[]) => sig(v.reduce((t, x) => t + x, 0) / v.length);
      return `k = ${d.ks[ki]}: ${Object.entries(d.finalAbsorption as Record<string, number[][]>)
        .map(([a, v]) => `${a} ${mean(v[ki])}`)
        .join(', ')}`;
    };
    return `absorption, toy ${at(n.toy)}; character model ${at(n.char)} (means over seeds)`;
  },
  'threshold-gradients': (n) => {
    const mean = (v: number[]) => sig(v.reduce((t, x) => t + x, 0) / v.length);
    const l0s = (r: N) => r.finalL0.map((perSeed: number[]) => mean(perSeed)).join(' / ');
    return (
      `held-out L0 at lambda = ${n.lambdas.join(' / ')}: ${l0s(n.long)} after ${n.long.steps} steps, ` +
      `${l0s(n.short)} after ${n.short.steps}; theta-gradient variance x${sig(n.varianceRatio[n.windows.indexOf(8)] ?? Number.NaN)} at W = 8`
    );
  },
  'batchtopk-threshold': (n) => {
    const m = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const at = (mode: string) => n.ks.map((k: number, i: number) => sig(m(n.l0[mode][i]) / k, 2)).join(', ');
    return `inference L0 / k over k = ${n.ks.join(', ')}: EMA ${at('ema')}; global fitted ${at('global')}; per-latent fitted ${at('perLatent')} (seed means)`;
  },
};

/** The markdown table (experiments without a committed full run say so), as docs/results.md holds it. */
export function experimentsTable(reportsDir = path.join(__dirname, 'reports')): string {
  const rows = STUDIES.map((e) => {
    const file = path.join(reportsDir, e.name, 'report.json');
    if (!fs.existsSync(file)) return `| ${e.name} | no committed full run | \`npm run experiment -- ${e.name}\` | - |`;
    const r: StudyReport = readReport(file);
    const headline = HEADLINES[e.name]?.(r.numbers as N) ?? '';
    return `| [${e.name}](../experiments/reports/${e.name}/summary.md) | ${headline} | \`${r.command}\` | ${Math.round(r.wallSeconds)} s |`;
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

/** The reproduction table for docs/results.md (src/analysis/reproduction.ts), or a line saying no report has rows yet. */
export function reproductionTable(reportsDir = path.join(__dirname, 'reports')): string {
  const rows = reproductionRows(reportsDir);
  return rows.length === 0 ? 'No committed report has reproduction rows yet.' : reproductionMarkdown(rows);
}

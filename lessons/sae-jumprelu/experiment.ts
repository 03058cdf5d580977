/**
 * Lesson 6's experiment, shared by the page and the script: JumpReLU SAEs (Rajamanoharan et al.
 * 2024, "Jumping Ahead", arXiv:2407.14435) on the running example of lessons 4-5, and the probes
 * that look inside the straight-through estimator: the pre-activations of one latent around its
 * threshold with the rectangle kernel's window, the thresholds over training, L0 and MSE against
 * the L0 coefficient over finished runs, and the variance of the threshold gradient with and
 * without the persistent KDE. Pure model code (no DOM).
 */
import * as tf from '@tensorflow/tfjs';
import type { ChartSpec } from '../../src/charts/spec';
import { CHART_COLORS, histogramPoints } from '../../src/charts/spec';
import type { MetricHistory } from '../../src/core/train';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';
import { perCoordinateMoments, thresholdGradients } from '../../src/analysis/threshold-gradients';
import { JumpReluSae } from '../../src/sae';
import { type FrontierPoint, FrontierRuns, currentRunPoint, frontierChart } from '../../src/lesson/sae-frontier';
import { type Probe, type RunSettings, TOY, ToyRun } from '../../src/lesson/sae-toy';

/** Steps of one run: the page's run and the script's full run. */
export const STEPS = 800;

/** The persistent KDE's window when it is on (steps pooled). */
export const KDE_WINDOW = 8;

/** Options of a JumpReLU run beyond its L0 coefficient. */
export interface JumpOptions {
  /** Kernel bandwidth eps (pre-activation units). Default 0.05 (SAELens; inputs scaled to E||x||^2 = d). */
  bandwidth?: number;
  /** Store theta or log theta. Default 'theta'. */
  thresholdParam?: 'theta' | 'log-theta';
  /** Persistent KDE window W (0 = off). Default 0. */
  kdeWindow?: number;
}

/** Settings of one JumpReLU run on the toy. */
export function jumpReluRun(lambda: number, steps: number, seed: number, options: JumpOptions = {}): RunSettings {
  return {
    sae: {
      architecture: 'jumprelu',
      l0Coefficient: lambda,
      bandwidth: options.bandwidth ?? 0.05,
      thresholdParam: options.thresholdParam ?? 'theta',
      kdeWindow: options.kdeWindow ?? 0,
      seed,
    },
    steps,
  };
}

/** The SAE of an experiment, as a JumpReLU (throws a TypeError otherwise). */
export function jumpSae(exp: ToyRun): JumpReluSae {
  if (exp.sae.architecture !== 'jumprelu') throw new TypeError(`expected a JumpReLU SAE, got ${exp.sae.architecture}`);
  return exp.sae as JumpReluSae;
}

/** Current thresholds theta [N]. */
export async function thresholds(exp: ToyRun): Promise<Float32Array> {
  const t = jumpSae(exp).theta();
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

/** Held-out pre-activations z [M, N] in normalised units. */
export async function preActivations(exp: ToyRun): Promise<Float32Array> {
  const sae = exp.sae;
  const x = tf.tensor2d(exp.heldOut.x, [TOY.heldOut, TOY.dim]);
  const z = tf.tidy(() => sae.preActivations(sae.normalise(x)));
  const v = (await z.data()) as Float32Array;
  tf.dispose([x, z]);
  return v;
}

/** What the estimator sees for one latent: its z values, threshold, bandwidth and the KDE at theta. */
export interface KernelView {
  latent: number;
  theta: number;
  eps: number;
  /** z of this latent on every held-out input. */
  z: Float32Array;
  /** Rectangle-kernel density estimate at theta: (1 / (M eps)) #{ |z - theta| < eps / 2 }. */
  kdeAtTheta: number;
  /** Inputs inside the kernel's window: the only ones whose gradient reaches theta. */
  inWindow: number;
}

/**
 * The kernel view of latent `latent` (default: the one with the most held-out inputs within
 * 3 bandwidths of its threshold, so the window has something in it).
 */
export async function kernelView(exp: ToyRun, latent?: number): Promise<KernelView> {
  const z = await preActivations(exp);
  const theta = await thresholds(exp);
  const eps = jumpSae(exp).bandwidth;
  const N = TOY.nLatents;
  const M = TOY.heldOut;
  let pick = latent ?? 0;
  if (latent === undefined) {
    let best = -1;
    for (let i = 0; i < N; i++) {
      let near = 0;
      for (let b = 0; b < M; b++) if (Math.abs(z[b * N + i] - theta[i]) < 3 * eps) near++;
      if (near > best) {
        best = near;
        pick = i;
      }
    }
  }
  const zi = Float32Array.from({ length: M }, (_, b) => z[b * N + pick]);
  let inWindow = 0;
  for (const v of zi) if (Math.abs(v - theta[pick]) < eps / 2) inWindow++;
  return { latent: pick, theta: theta[pick], eps, z: zi, kdeAtTheta: inWindow / (M * eps), inWindow };
}

/**
 * The kernel view as a chart: the density of z (histogram over theta +- 12 eps, or the data range
 * when that is narrower) and the rectangle window [theta - eps/2, theta + eps/2] drawn at the
 * height of the density estimate it produces.
 */
export function kernelChart(v: KernelView, title: string): ChartSpec {
  const lo = v.theta - 12 * v.eps;
  const hi = v.theta + 12 * v.eps;
  const bins = 48;
  const width = (hi - lo) / bins;
  const counts = histogramPoints(v.z, bins, [lo, hi]);
  const density = counts.map(([c, n]) => [c, n / (v.z.length * width)] as [number, number]);
  const h = v.kdeAtTheta;
  const a = v.theta - v.eps / 2;
  const b = v.theta + v.eps / 2;
  return {
    title,
    subtitle: `latent ${v.latent}: theta = ${v.theta.toFixed(3)}, eps = ${v.eps}; ${v.inWindow} of ${v.z.length} inputs in the window`,
    kind: 'line',
    x: { title: 'pre-activation z (normalised units)', min: lo, max: hi },
    y: { title: 'density of z (per unit z)', min: 0 },
    series: [
      { name: 'histogram of z', kind: 'bar', color: CHART_COLORS[0], points: density },
      {
        name: `kernel window, height = KDE at theta (${h.toFixed(2)})`,
        color: CHART_COLORS[1],
        points: [
          [a, 0],
          [a, h],
          [b, h],
          [b, 0],
        ],
      },
      {
        name: 'theta',
        color: CHART_COLORS[6],
        dashed: true,
        points: [
          [v.theta, 0],
          [v.theta, Math.max(h, ...density.map((p) => p[1])) * 1.05],
        ],
      },
    ],
  };
}

/**
 * Variance of the threshold gradient at fixed parameters, averaged over latents, over `batches`
 * fresh batches of TOY.batchSize from the run's stream: the plain estimator (one batch's kernel
 * density) against the persistent KDE pooled over the SAE's `kdeWindow` W previous batches.
 * Both are measured by src/analysis/threshold-gradients.ts on copies of the trained weights, with
 * one gradient every W + 1 steps so that pooled windows do not overlap (independent samples).
 * `reconstructionOnly`: the same with the L0 coefficient set to 0, the variance of the part of
 * the gradient that pooling leaves alone (the reconstruction's, through JumpReLU's own kernel).
 */
export async function thresholdGradVariance(
  exp: ToyRun,
  batches = 24,
): Promise<{ plain: number; pooled: number; reconstructionOnly: number; window: number }> {
  const trained = jumpSae(exp);
  const W = trained.kdeWindow;
  if (W === 0) throw new RangeError('thresholdGradVariance needs an SAE with kdeWindow > 0');
  const varianceAt = async (window: number, l0Coefficient = trained.l0Coefficient): Promise<number> => {
    const probe = new JumpReluSae({ ...trained.config, kdeWindow: window, l0Coefficient });
    const weights = trained.params.snapshot();
    probe.params.assign(weights);
    tf.dispose(Object.values(weights));
    probe.inputScale = trained.inputScale;
    const grads = await thresholdGradients(probe, exp.trainer.source, {
      batches,
      batchSize: TOY.batchSize,
      warmup: window,
      stride: window + 1,
    });
    probe.dispose();
    const { variance } = perCoordinateMoments(grads);
    return variance.reduce((a, b) => a + b, 0) / variance.length;
  };
  return {
    plain: await varianceAt(0),
    pooled: await varianceAt(W),
    reconstructionOnly: await varianceAt(0, 0),
    window: W,
  };
}

/** Quantiles (10%, 50%, 90%) of the thresholds, for the "thresholds over training" chart. */
export function quantiles(values: ArrayLike<number>, qs = [0.1, 0.5, 0.9]): number[] {
  const sorted = Array.from(values).sort((a, b) => a - b);
  return qs.map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
}

/** Threshold quantiles over training (10%, median, 90%) from the history's logged quantiles. */
export function thresholdsChart(history: MetricHistory, title: string): ChartSpec {
  const names: Array<[string, string]> = [
    ['theta10', '10% of latents'],
    ['theta50', 'median'],
    ['theta90', '90%'],
  ];
  return {
    title,
    kind: 'line',
    x: { title: 'training step' },
    y: { title: 'threshold theta (normalised units)' },
    series: names.map(([key, name], j) => ({
      name,
      color: CHART_COLORS[j === 1 ? 2 : 5],
      dashed: j !== 1,
      points: history.series(key).map((p) => [p.step + 1, p.value] as [number, number]),
    })),
  };
}

/** Held-out L0 and FVU against the L0 coefficient, one point per finished JumpReLU run. */
export function coefficientChart(points: FrontierPoint[], title: string): ChartSpec {
  const runs = points
    .filter((p) => p.architecture === 'jumprelu' && p.coefficient !== undefined && p.coefficient > 0)
    .sort((a, b) => a.coefficient! - b.coefficient!);
  return {
    title,
    kind: 'scatter',
    x: { title: 'L0 coefficient lambda', log: true },
    y: { title: 'held-out value (log scale)', log: true },
    series: [
      {
        name: 'L0',
        color: CHART_COLORS[2],
        points: runs.map((p) => [p.coefficient!, p.l0]),
        labels: runs.map((p) => p.label),
      },
      { name: 'normalised MSE (FVU)', color: CHART_COLORS[0], points: runs.map((p) => [p.coefficient!, p.fvu]) },
    ],
  };
}

/** Lesson 6's experiment, recording its finished runs in `frontier`. */
export function saeJumpReluExperiment(frontier: FrontierRuns) {
  return defineExperiment({
    title: 'A JumpReLU SAE trained with straight-through estimators',
    settings: {
      lambda: { kind: 'number', label: 'L0 coefficient lambda', default: 1, min: 0, max: 1000, slider: 'log' },
      bandwidth: { kind: 'number', label: 'bandwidth eps', default: 0.05, min: 1e-4, max: 2, slider: 'log' },
      thresholdParam: {
        kind: 'choice',
        label: 'stored as',
        default: 'theta',
        options: ['theta', 'log-theta'],
        help: 'train theta itself (SAELens) or log theta (the paper)',
      },
      kde: { kind: 'bool', label: `persistent KDE (pool ${KDE_WINDOW} steps)`, default: false },
      seed: seedSetting(1),
    },
    metrics: {
      chart: ['loss', 'mse'],
      yTitle: 'per input, normalised units',
      log: true,
      readout: ['loss', 'mse', 'l0', 'heldOutFvu', 'theta50', 'recovered'],
      names: { loss: 'loss = MSE + lambda L0', mse: 'MSE', theta50: 'median theta', heldOutFvu: 'FVU (held out)' },
    },
    figures: {
      kernel: {
        title: 'What the estimator sees: one latent near its threshold',
        caption: 'Only pre-activations inside the window [theta - eps/2, theta + eps/2] move theta.',
      },
      thresholds: { title: 'Thresholds over training', caption: 'Quantiles over the 128 latents.' },
      coefficient: {
        title: 'L0 and MSE against the L0 coefficient (your finished runs)',
        caption: 'Finish runs at several lambda: past a point L0 stops coming down.',
      },
      frontier: {
        title: 'The MSE/L0 frontier with JumpReLU (runs kept across lessons 4-6)',
        caption: 'A finished run adds its point beside your ReLU + L1 and TopK runs.',
      },
    },
    logEvery: 20,
    maxSteps: STEPS,
    async create(ctx) {
      const s = ctx.settings;
      const run = await ToyRun.create(
        jumpReluRun(s.lambda, STEPS, s.seed, {
          bandwidth: s.bandwidth,
          thresholdParam: s.thresholdParam as 'theta' | 'log-theta',
          kdeWindow: s.kde ? KDE_WINDOW : 0,
        }),
      );
      ctx.note(
        `JumpReLU on the ${TOY.numFeatures}-feature toy (true L0 = 4), inputs scaled to E||x||^2 = ${TOY.dim}; ` +
          `a run is ${STEPS} steps.`,
      );
      let probe: Probe | null = null;
      let recorded = false;
      const label = `lambda=${s.lambda}${s.bandwidth === 0.05 ? '' : `, eps ${s.bandwidth}`}${s.thresholdParam === 'theta' ? '' : ', log theta'}${s.kde ? ', KDE' : ''}`;
      return {
        run,
        async oneStep(i) {
          const r = (await run.oneStep()) ?? {};
          if ((i + 1) % 20 !== 0 && i + 1 < STEPS) return r;
          const [q10, q50, q90] = quantiles(await thresholds(run));
          const out: Record<string, tf.Scalar | number> = { ...r, theta10: q10, theta50: q50, theta90: q90 };
          if ((i + 1) % 100 === 0 || i + 1 >= STEPS) {
            probe = await run.probe();
            Object.assign(out, { heldOutFvu: probe.fvu, recovered: probe.recovered });
          }
          return out;
        },
        async probes(history) {
          probe = await run.probe();
          if (run.step >= STEPS && !recorded) {
            recorded = true;
            frontier.record({ l0: probe.l0, fvu: probe.fvu, architecture: 'jumprelu', label, coefficient: s.lambda });
          }
          const view = await kernelView(run);
          return {
            kernel: kernelChart(view, `eps = ${s.bandwidth}: the window against the spread of z`),
            thresholds: thresholdsChart(history, `stored as ${s.thresholdParam}, lambda = ${s.lambda}`),
            coefficient: coefficientChart(frontier.points(), 'held-out L0 and FVU, one point per finished run'),
            frontier: frontierChart(
              frontier.points(),
              recorded ? [] : [currentRunPoint(`this run (step ${run.step})`, probe)],
            ),
          };
        },
        diagram: () => [
          { label: 'x', shape: [TOY.batchSize, TOY.dim], role: 'data' as const },
          { label: 'W_enc, b_enc', shape: [TOY.dim, TOY.nLatents], role: 'map' as const },
          { label: 'f = z H(z - theta)', shape: [TOY.batchSize, TOY.nLatents], role: 'latent' as const },
          { label: 'W_dec (unit rows)', shape: [TOY.nLatents, TOY.dim], role: 'map' as const },
          { label: 'MSE + lambda L0', shape: [], role: 'loss' as const },
        ],
        dispose: () => run.dispose(),
      };
    },
  });
}

/** The experiment with its runs kept in memory (the script, the tests); the page gives it the browser's store (panel.ts). */
export default saeJumpReluExperiment(new FrontierRuns());

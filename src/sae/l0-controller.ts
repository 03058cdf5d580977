/**
 * A target-L0 controller for the SAEs whose sparsity is set by a loss coefficient (ReLU+L1 and
 * Gated: the L1 coefficient; JumpReLU: the L0 coefficient). SynthSAEBench (Chanin &
 * Garriga-Alonso 2026, arXiv:2602.14687) compares architectures at one L0 and reaches it for the
 * coefficient-controlled ones by steering the coefficient during training; this is that idea in
 * its simplest form, a proportional step in log space on every logged step:
 *
 *   log c <- log c + rate * log((L0 + 1) / (target + 1))
 *
 * L0 above the target raises the coefficient, below lowers it; the +1 keeps the step finite when
 * a batch fires nothing. After `freezeAt` steps (default: the last 20% of the run) the coefficient
 * is no longer touched, so the end of training is an ordinary fixed-coefficient run and what is
 * evaluated is a fixed point of that run, not a controller transient.
 *
 * Start from a small coefficient (L0 above the target): a coefficient far too large kills ReLU+L1
 * and Gated latents within a few steps, and a dead latent gets no gradient to come back by when
 * the controller then lowers the coefficient (tests/sae/l0-controller.test.ts).
 *
 * JumpReLU: steer it with its target term on (`targetL0`, loss lambda (L0/T - 1)^2, jumprelu.ts),
 * not the plain lambda * L0. The plain penalty only pushes thresholds up; once L0 undershoots, the
 * controller lowers lambda while the thresholds come down only through the reconstruction gradient,
 * about lr per step, so lambda winds down by orders of magnitude and L0 overshoots after the freeze
 * (measured over 10M samples: L0 3.3 at 1/8 of the run, 19.7 at the end, lambda 0.1 -> 5e-5). The
 * target term pulls them down itself below T. The controller still earns its place: under Adam a
 * term whose gradient shrinks as L0 nears T slows its own approach, and a growing lambda keeps it
 * moving (probe at 3,000 steps, target 5: target term alone L0 12.7, with the controller 4.9).
 *
 * It is a TrainCallbacks hook: the trainer calls `onLog` after reading the metrics back, and the
 * new coefficient is read by the loss at the next forward (the losses take it as a plain number
 * at every step, so changing it needs no re-tracing). One controller serves a whole stack
 * (SaeTrainer with S members): member i reads its own L0 (`l0/i`) and moves its own coefficient.
 * Which field is the coefficient comes from the registry (`cli.sparsityCoefficient.field`).
 * The SAE's `config` keeps the starting coefficient (a checkpoint of a controlled run therefore
 * resumes from the starting value; `coefficients` holds the current ones).
 */
import { ConfigError, InputError, checkInt, checkNumber } from '../base/errors';
import type { Metrics, TrainCallbacks } from '../core/train';
import { saeArchitecture } from './architectures';
import type { SparseAutoencoder } from './base';
import { memberMetrics } from './trainer';

/** Options of `TargetL0Controller`. */
export interface TargetL0Options {
  /** The L0 to reach (mean active latents per input), > 0. */
  targetL0: number;
  /** Steps of the run (to place the freeze). */
  steps: number;
  /** Fraction of the run after which the coefficient is frozen. Default 0.8. */
  freezeFraction?: number;
  /** Step size in log(coefficient) per unit of log L0 error, per logged step. Default 0.05 (faster settings overshoot while the SAE lags: experiments/known-truth.ts). */
  rate?: number;
}

/** The config field holding `sae`'s sparsity coefficient; a ConfigError for an architecture without one (TopK family). */
export function sparsityCoefficientField(sae: SparseAutoencoder): string {
  const use = saeArchitecture(sae.architecture).cli.sparsityCoefficient;
  if (!use) throw new ConfigError('sae', `'${sae.architecture}' has no sparsity coefficient (its L0 is set by k)`);
  return use.field;
}

/** Steers each SAE's sparsity coefficient toward `targetL0` on logged steps until `freezeAt`. */
export class TargetL0Controller implements TrainCallbacks {
  readonly targetL0: number;
  readonly rate: number;
  /** The first step (0-based) at which the coefficients no longer move. */
  readonly freezeAt: number;
  private readonly fields: string[];

  constructor(
    readonly saes: readonly SparseAutoencoder[],
    options: TargetL0Options,
  ) {
    if (saes.length === 0) throw new ConfigError('saes', 'must hold at least one SAE');
    this.targetL0 = checkNumber('targetL0', options.targetL0, { min: 0, minOpen: true });
    const steps = checkInt('steps', options.steps, 1);
    const freeze = checkNumber('freezeFraction', options.freezeFraction ?? 0.8, { min: 0, max: 1 });
    this.rate = checkNumber('rate', options.rate ?? 0.05, { min: 0, minOpen: true });
    this.freezeAt = Math.floor(steps * freeze);
    this.fields = saes.map((s) => sparsityCoefficientField(s));
    saes.forEach((_, i) => {
      const c = this.coefficientOf(i);
      if (!(c > 0))
        throw new ConfigError(`saes[${i}].${this.fields[i]}`, `must be > 0 to be steered in log space, got ${c}`);
    });
  }

  /** The current coefficient of each SAE, in order. */
  get coefficients(): number[] {
    return this.saes.map((_, i) => this.coefficientOf(i));
  }

  /** Whether the coefficients are frozen at `step` (0-based). */
  frozenAt(step: number): boolean {
    return step >= this.freezeAt;
  }

  /** After a logged step: one proportional step in log space per SAE (none once frozen). */
  onLog(step: number, metrics: Metrics): void {
    if (this.frozenAt(step)) return;
    this.saes.forEach((sae, i) => {
      const { l0 } = memberMetrics(metrics, i);
      if (!Number.isFinite(l0)) throw new InputError('metrics', `hold no finite L0 for SAE ${i} at step ${step}`);
      const error = Math.log((l0 + 1) / (this.targetL0 + 1));
      const next = this.coefficientOf(i) * Math.exp(this.rate * error);
      (sae as unknown as Record<string, number>)[this.fields[i]] = next;
    });
  }

  private coefficientOf(i: number): number {
    return (this.saes[i] as unknown as Record<string, number>)[this.fields[i]];
  }
}

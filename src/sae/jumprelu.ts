/**
 * JumpReLU sparse autoencoder trained with straight-through estimators.
 *
 * Rajamanoharan et al. 2024, "Jumping Ahead: Improving Reconstruction Fidelity with JumpReLU
 * Sparse Autoencoders", arXiv:2407.14435 (Eqs. 4-11); Lieberum et al. 2024 (Gemma Scope,
 * arXiv:2408.05147):
 *   f = JumpReLU_theta(z) = z * H(z - theta),  theta > 0 per latent
 *   L = ||x' - x'hat||^2 + lambda * ||f||_0,   ||f||_0 = sum_i H(z_i - theta_i)
 * H has zero derivative almost everywhere, so theta is trained through pseudo-derivatives
 * with the rectangle kernel K(u) = 1[-1/2 < u < 1/2] and bandwidth eps (Eqs. 11-12):
 *   d/dz     JumpReLU = H(z - theta)
 *   d/dtheta JumpReLU = -(theta / eps) * K((z - theta) / eps)
 *   d/dz     H(z - theta) = 0        (no gradient from the L0 term into z)
 *   d/dtheta H(z - theta) = -(1 / eps) * K((z - theta) / eps)
 * Averaged over a batch, the theta pseudo-gradient of the L0 term is -lambda times a
 * rectangle-kernel density estimate of p(z_i = theta_i).
 *
 * theta is stored either directly ('theta', SAELens since PR #718) or as log theta
 * ('log-theta', the paper and Gemma Scope); see `JumpReluConfig.thresholdParam`.
 *
 * Persistent KDE (`kdeWindow` > 0, off by default; in no public library): the L0 term's
 * density estimate is pooled over the last W steps. Each step stores a histogram of the
 * pre-activations within +-eps of the then-current theta (8 bins per latent); the pooled
 * gradient evaluates the kernel at the CURRENT theta over those bins, so the buffer tracks a
 * moving threshold. The loss value is unchanged (the pooled part enters as (theta - sg(theta)) c,
 * losses.ts `pooledL0`).
 */
import * as tf from '@tensorflow/tfjs';
import { gatherRows, stopGradient, untaped } from '../base/autodiff';
import { InputError, checkInt, checkNumber, checkOneOf } from '../base/errors';
import { jumpRelu, jumpReluStep } from '../../kernels/jumprelu';
import { type Encoding, type LossContext, type LossTerm, SparseAutoencoder } from './base';
import { type ResolvedCommonConfig, type SaeCommonConfig, checkCoefficient, resolveCommon } from './config';
import { l0Penalty, l0TargetPenalty, pooledL0 } from './losses';
import { registerSaeArchitecture, standardWeightShapes } from './registry';

declare module './registry' {
  interface SaeArchitectureTypes {
    jumprelu: { config: JumpReluConfig; sae: JumpReluSae };
  }
}

/** Config of the JumpReLU SAE. */
export interface JumpReluConfig extends SaeCommonConfig {
  architecture: 'jumprelu';
  /** L0 coefficient lambda >= 0 (the MSE sums over D, normalised units). Default 1. */
  l0Coefficient?: number;
  /** Kernel bandwidth eps in pre-activation units. Default 0.05 (SAELens, inputs scaled to E||x||^2 = D). */
  bandwidth?: number;
  /** Initial threshold theta_0 > 0. Default 0.01 (SAELens). */
  initialThreshold?: number;
  /**
   * Store theta itself or log theta. Default 'theta': under Adam, log theta barely moves, as
   * SAELens PR #718 reports (the lesson 6 toy shows the same; its numbers are in the README).
   */
  thresholdParam?: 'theta' | 'log-theta';
  /**
   * Steps the L0 threshold-gradient density estimate is pooled over (0: off, the default).
   * Pooling W steps cuts the theta-gradient variance by about 1/(W+1); on the lesson 6 toy it
   * gained little held-out loss, so it stays off by default.
   */
  kdeWindow?: number;
  /**
   * A target L0 T for the sparsity term (null: off, the default). Off, the term is the paper's
   * lambda * L0; on, it is dictionary_learning's lambda * (L0 / T - 1)^2, which pushes the
   * thresholds up while L0 is above T and down while it is below, so L0 settles near T (a little
   * above, where its gradient balances the reconstruction's; a larger lambda holds it closer).
   * Under Adam its approach slows as the error shrinks; the target-L0 controller (l0-controller.ts)
   * speeds it up by raising lambda.
   */
  targetL0?: number | null;
}

/** The JumpReLU config with every default filled in. */
export type ResolvedJumpReluConfig = ResolvedCommonConfig & Required<JumpReluConfig>;

/** Validates a JumpReLU config and fills in its defaults (before anything is allocated). */
export function resolveJumpReluConfig(config: JumpReluConfig): ResolvedJumpReluConfig {
  return {
    architecture: 'jumprelu',
    ...resolveCommon(config, [
      'l0Coefficient',
      'bandwidth',
      'initialThreshold',
      'thresholdParam',
      'kdeWindow',
      'targetL0',
    ]),
    l0Coefficient: checkCoefficient('l0Coefficient', config.l0Coefficient ?? 1),
    bandwidth: checkNumber('bandwidth', config.bandwidth ?? 0.05, { min: 0, minOpen: true }),
    initialThreshold: checkNumber('initialThreshold', config.initialThreshold ?? 0.01, { min: 0, minOpen: true }),
    thresholdParam: checkOneOf('thresholdParam', config.thresholdParam ?? 'theta', ['theta', 'log-theta'] as const),
    kdeWindow: checkInt('kdeWindow', config.kdeWindow ?? 0, 0),
    targetL0: config.targetL0 == null ? null : checkNumber('targetL0', config.targetL0, { min: 0, minOpen: true }),
  };
}

/** Rectangle kernel K(u) = 1[-1/2 < u < 1/2]. */
export function rectangleKernel(u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => u.abs().less(0.5).cast('float32'));
}

const KDE_BINS = 8; // histogram bins over [theta - eps, theta + eps)

/** The JumpReLU SAE (dense latents; in a forward on cpu/wasm, sparse while they are: sparse-path.ts). */
export class JumpReluSae extends SparseAutoencoder {
  readonly architecture = 'jumprelu' as const;
  declare readonly config: ResolvedJumpReluConfig;
  protected readonly reconstruction = { mse: 1, fvu: 0 };
  /** Read by the loss at every forward, so it may change between steps (the target-L0 controller, l0-controller.ts, sets it); `config` keeps the starting value. */
  l0Coefficient: number;
  readonly bandwidth: number;
  readonly thresholdParam: 'theta' | 'log-theta';
  readonly kdeWindow: number;
  /** The L0 the sparsity term pulls toward (null: the plain lambda * L0 penalty). */
  readonly targetL0: number | null;
  /** Persistent-KDE buffer: per past step, theta then [N] and the histogram [N, 8] of z near it. */
  private readonly kdeBuffer: { thetaN: tf.Tensor1D; countsNJ: tf.Tensor2D; batch: number }[] = [];

  constructor(config: JumpReluConfig) {
    super(resolveJumpReluConfig(config));
    const c = this.config;
    ({ l0Coefficient: this.l0Coefficient, bandwidth: this.bandwidth } = c);
    ({ thresholdParam: this.thresholdParam, kdeWindow: this.kdeWindow, targetL0: this.targetL0 } = c);
    const init = c.thresholdParam === 'theta' ? c.initialThreshold : Math.log(c.initialThreshold);
    this.params.add(c.thresholdParam === 'theta' ? 'threshold' : 'log_threshold', tf.fill([this.nLatents], init));
  }

  /** theta [N] (exp of the stored value for 'log-theta'), differentiable. */
  theta(): tf.Tensor1D {
    return tf.tidy(
      () =>
        (this.thresholdParam === 'theta'
          ? this.params.get('threshold').clone()
          : this.params.get('log_threshold').exp()) as tf.Tensor1D,
    );
  }

  override thresholdN(): tf.Tensor1D {
    return this.theta();
  }

  /** Sets theta from saved weights (SAELens stores theta itself). */
  override loadWeights(weights: Record<string, tf.Tensor>): void {
    super.loadWeights(weights);
    if (weights.threshold) {
      if (this.thresholdParam === 'theta') this.params.assign({ threshold: weights.threshold });
      else tf.tidy(() => this.params.assign({ log_threshold: weights.threshold.maximum(1e-30).log() }));
    }
  }

  /**
   * f = z H(z - theta) by the jumpRelu op (straight-through gradients to z and theta). In a
   * forward on cpu/wasm (sparse-path.ts) only at the entries with z > theta - eps: the active ones
   * and the whole kernel window |z - theta| < eps/2, so every gradient equals the dense one.
   * The persistent KDE histograms the dense z, so it keeps the dense path.
   */
  protected activate(xnBD: tf.Tensor2D, { training, forLoss }: { training: boolean; forLoss: boolean }): Encoding {
    const thetaN = this.theta();
    const eps = this.bandwidth;
    const sparse = forLoss && !(training && this.kdeWindow > 0);
    const fixedN = stopGradient(thetaN);
    const rule = { kind: 'above' as const, selectN: fixedN.sub(eps) as tf.Tensor1D };
    const code = sparse ? this.sparsePath.encode(this, xnBD, rule, fixedN) : null;
    if (code === null) {
      const zBN = this.preActivations(xnBD);
      return { latents: { kind: 'dense', denseBN: jumpRelu(zBN, thetaN, eps) }, preActsBN: zBN };
    }
    const thetaBK = this.thetaAt(thetaN, code.indicesBK);
    const valuesBK = jumpRelu(code.preActsBK, thetaBK, eps).mul(code.validBK) as tf.Tensor2D;
    return { latents: { kind: 'sparse', valuesBK, indicesBK: code.indicesBK }, selected: code };
  }

  /** theta at a code's entries [B,K], differentiable (the gradient scatter-adds back into theta [N]). */
  private thetaAt(thetaN: tf.Tensor1D, indicesBK: tf.Tensor2D): tf.Tensor2D {
    return gatherRows(thetaN.reshape([-1, 1]), indicesBK.reshape([-1])).reshape(indicesBK.shape) as tf.Tensor2D;
  }

  /**
   * L0 = mean_b sum_i H(z - theta) (pooled over past steps with the persistent KDE), weighted by
   * lambda; with a target T, lambda * (L0 / T - 1)^2 instead, L0 still reported beside it.
   */
  protected override lossTerms({ act, options }: LossContext): Record<string, LossTerm> {
    const thetaN = this.theta();
    let l0: tf.Scalar;
    let objective: tf.Scalar;
    if (act.selected) {
      const { preActsBK, indicesBK, validBK } = act.selected;
      const stepBK = jumpReluStep(preActsBK, this.thetaAt(thetaN, indicesBK), this.bandwidth).mul(validBK);
      l0 = objective = l0Penalty(stepBK as tf.Tensor2D);
    } else {
      const zBN = act.preActsBN as tf.Tensor2D;
      l0 = l0Penalty(jumpReluStep(zBN, thetaN, this.bandwidth));
      objective = options.training && this.kdeWindow > 0 ? this.pooled(l0, zBN, thetaN) : l0;
    }
    if (this.targetL0 === null) return { l0: { value: l0, coefficient: this.l0Coefficient, objective } };
    const value = l0TargetPenalty(l0, this.targetL0);
    const pull = objective === l0 ? value : l0TargetPenalty(objective, this.targetL0);
    return {
      l0: { value: l0, coefficient: 0 },
      l0Target: { value, coefficient: this.l0Coefficient, objective: pull },
    };
  }

  /**
   * The L0 term with its theta gradient pooled over the buffer (losses.ts `pooledL0`), with
   *   c_i = -(1/eps) (1/(W B)) sum_{past steps} sum_bins count * K((center - theta_i) / eps)
   * then stores this step's histogram.
   */
  private pooled(l0: tf.Scalar, zBN: tf.Tensor2D, thetaN: tf.Tensor1D): tf.Scalar {
    const eps = this.bandwidth;
    const W = this.kdeBuffer.length;
    let out = l0;
    if (W > 0) {
      const cN = untaped((th) => {
        let acc = tf.zeros([this.nLatents]);
        let inputs = 0;
        for (const { thetaN: past, countsNJ, batch } of this.kdeBuffer) {
          const centersJ = tf
            .range(0, KDE_BINS)
            .add(0.5)
            .mul((2 * eps) / KDE_BINS)
            .sub(eps); // offsets from past theta
          const uNJ = past.expandDims(1).add(centersJ.expandDims(0)).sub(th.expandDims(1)).div(eps);
          acc = acc.add(countsNJ.mul(rectangleKernel(uNJ)).sum(1));
          inputs += batch;
        }
        return acc.div(-eps * inputs);
      }, thetaN) as tf.Tensor1D;
      out = pooledL0(l0, thetaN, cN, W);
    }
    // This step's histogram of z - theta over [-eps, eps) in KDE_BINS bins, per latent.
    const entry = tf.tidy(() => {
      const th = stopGradient(thetaN);
      const binBN = stopGradient(zBN)
        .sub(th)
        .add(eps)
        .div((2 * eps) / KDE_BINS)
        .floor();
      const counts = [];
      for (let j = 0; j < KDE_BINS; j++) counts.push(binBN.equal(j).cast('float32').sum(0));
      return {
        thetaN: tf.keep(th.clone()),
        countsNJ: tf.keep(tf.stack(counts, 1) as tf.Tensor2D),
        batch: zBN.shape[0],
      };
    });
    this.kdeBuffer.push(entry);
    while (this.kdeBuffer.length > this.kdeWindow) {
      const old = this.kdeBuffer.shift()!;
      old.thetaN.dispose();
      old.countsNJ.dispose();
    }
    return out;
  }

  /** The KDE buffer (copies) beside the input scale. */
  override trainingState(): { json: Record<string, unknown>; tensors: Record<string, tf.Tensor> } {
    const state = super.trainingState();
    const tensors = { ...state.tensors };
    this.kdeBuffer.forEach((e, i) => {
      tensors[`kde/${i}/theta`] = e.thetaN.clone();
      tensors[`kde/${i}/counts`] = e.countsNJ.clone();
    });
    return { json: { ...state.json, kdeBatches: this.kdeBuffer.map((e) => e.batch) }, tensors };
  }

  override loadTrainingState(json: Record<string, unknown>, tensors: Record<string, tf.Tensor>): void {
    super.loadTrainingState(json, tensors);
    const batches = json.kdeBatches;
    if (!Array.isArray(batches) || batches.length > this.kdeWindow) {
      throw new InputError('state.kdeBatches', `must list at most kdeWindow=${this.kdeWindow} batch sizes`);
    }
    const entries = batches.map((batch, i) => {
      const thetaN = tensors[`kde/${i}/theta`];
      const countsNJ = tensors[`kde/${i}/counts`];
      if (!thetaN || !countsNJ) throw new InputError('state', `has no KDE entry ${i}`);
      return {
        thetaN: thetaN.clone() as tf.Tensor1D,
        countsNJ: countsNJ.clone() as tf.Tensor2D,
        batch: checkInt(`state.kdeBatches[${i}]`, batch, 1),
      };
    });
    for (const e of this.kdeBuffer.splice(0, this.kdeBuffer.length, ...entries)) {
      e.thetaN.dispose();
      e.countsNJ.dispose();
    }
  }

  override dispose(): void {
    for (const e of this.kdeBuffer.splice(0)) {
      e.thetaN.dispose();
      e.countsNJ.dispose();
    }
    super.dispose();
  }
}

registerSaeArchitecture({
  name: 'jumprelu',
  resolve: resolveJumpReluConfig,
  create: (config: JumpReluConfig) => new JumpReluSae(config),
  saeLens: {
    architecture: 'jumprelu', // theta itself on disk (`thresholdN`), whichever parametrisation trained it
    readFolder: (_cfg, common) => ({ architecture: 'jumprelu' as const, ...common }),
    weightShapes: (dIn, nLatents) => ({ ...standardWeightShapes(dIn, nLatents), threshold: [nLatents] }),
    trainingConfig: {
      architecture: 'jumprelu',
      fields: {
        l0_coefficient: 'l0Coefficient',
        jumprelu_bandwidth: 'bandwidth',
        jumprelu_init_threshold: 'initialThreshold',
      },
    },
  },
  cli: { sparsityCoefficient: { field: 'l0Coefficient', meaning: 'L0 coefficient' } },
});

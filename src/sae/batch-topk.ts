/**
 * BatchTopK sparse autoencoder.
 *
 * Bussmann, Leask & Nanda 2024, "BatchTopK Sparse Autoencoders", arXiv:2412.06410:
 *   training:  f = ReLU(Z) * 1[ReLU(Z) among the top floor(k B) entries of the whole batch]
 *              (k is the AVERAGE number of active latents per input; inputs may get more or fewer)
 *   threshold: theta <- 0.99 theta + 0.01 * min{f > 0}      (SAELens' update, once per step)
 *   inference: f = ReLU(z) * 1[ReLU(z) > theta]             (one global threshold: the output no
 *              longer depends on the rest of the batch; SAELens saves it as a JumpReLU)
 *   L = FVU + alpha * L_aux  (AuxK as in topk.ts, Gao et al. 2024)
 * Latents are dense [B,N]: the per-input count varies.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNumber } from '../core/errors';
import {
  type ForwardOptions,
  type Latents,
  type SaeCommonConfig,
  type SaeOutput,
  SparseAutoencoder,
  stopGradient,
  untaped,
  batchFvu,
  checkCoefficient,
  checkK,
  squaredError,
} from './base';
import { batchTopkActivation } from '../../kernels/topk';
import { deadLatentAuxK } from './topk';

/** Config of the BatchTopK SAE. */
export interface BatchTopKConfig extends SaeCommonConfig {
  architecture: 'batch-topk';
  /** Average active latents per input. */
  k: number;
  /** EMA decay of the inference threshold. Default 0.99 (SAELens). */
  thresholdDecay?: number;
  /** AuxK coefficient. Default 1/32 (Gao et al. 2024). */
  auxKCoefficient?: number;
  /** Dead latents used by AuxK. Default floor(dIn / 2). */
  kAux?: number;
}

/**
 * Reference BatchTopK by a dense mask over the flattened batch:
 *   f = ReLU(Z) * 1[(b,i) in top floor(k B) of ReLU(Z)]
 * @param zBN [B,N] @returns [B,N]
 */
export function batchTopkDenseReference(zBN: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, N] = zBN.shape;
    const m = Math.min(Math.floor(k * B), B * N);
    const reluBN = zBN.relu();
    const maskBN = untaped((r) => {
      const { indices } = tf.topk(r.reshape([B * N]), m);
      return tf.scatterND(indices.reshape([m, 1]), tf.ones([m]), [B * N]).reshape([B, N]);
    }, reluBN);
    return reluBN.mul(maskBN) as tf.Tensor2D;
  });
}

/** The BatchTopK SAE (dense latents). */
export class BatchTopKSae extends SparseAutoencoder {
  readonly architecture = 'batch-topk' as const;
  readonly k: number;
  readonly thresholdDecay: number;
  readonly auxKCoefficient: number;
  readonly kAux: number;
  /** Threshold updates so far (the first one sets theta to the batch minimum). */
  thresholdUpdates = 0;

  constructor(readonly config: BatchTopKConfig) {
    super(config);
    try {
      this.k = checkK('k', config.k, this.nLatents);
      this.thresholdDecay = checkNumber('thresholdDecay', config.thresholdDecay ?? 0.99, {
        min: 0,
        max: 1,
        maxOpen: true,
      });
      this.auxKCoefficient = checkCoefficient('auxKCoefficient', config.auxKCoefficient ?? 1 / 32);
      this.kAux =
        config.kAux === undefined ? Math.max(1, Math.floor(this.dIn / 2)) : checkK('kAux', config.kAux, this.nLatents);
      this.params.add('threshold', tf.scalar(0), false);
    } catch (e) {
      this.dispose(); // free the parameters made by super() before rethrowing
      throw e;
    }
  }

  /** The global inference threshold theta (a scalar variable, not trained by gradient). */
  get threshold(): tf.Variable {
    return this.params.get('threshold');
  }

  /** Inference: f = ReLU(z) * 1[ReLU(z) > theta], independent of the batch. */
  encode(xBD: tf.Tensor2D): Latents {
    return tf.tidy(() => {
      const reluBN = this.preActivations(this.normalise(xBD)).relu();
      return { kind: 'dense' as const, denseBN: reluBN.mul(reluBN.greater(this.threshold)) as tf.Tensor2D };
    });
  }

  /**
   * Training (`training: true`) selects over the batch and moves theta towards the smallest
   * kept activation; evaluation uses theta.
   */
  forward(xBD: tf.Tensor2D, options: ForwardOptions = {}): SaeOutput {
    return tf.tidy(() => {
      const xnBD = this.normalise(xBD);
      let fBN: tf.Tensor2D;
      if (options.training) {
        const zBN = this.preActivations(xnBD);
        fBN = this.useKernels ? batchTopkActivation(zBN, this.k) : batchTopkDenseReference(zBN, this.k);
        this.updateThreshold(fBN);
      } else {
        fBN = (this.encode(xBD) as { denseBN: tf.Tensor2D }).denseBN;
      }
      const latents: Latents = { kind: 'dense', denseBN: fBN };
      const xhatBD = fBN.matMul(this.wDecND).add(this.bDecD) as tf.Tensor2D;
      const mse = squaredError(xnBD, xhatBD);
      const fvu = batchFvu(xnBD, xhatBD);
      const auxK = deadLatentAuxK(this, xnBD, xhatBD, options.deadLatents);
      const recon = (this.inputScale === 1 ? xhatBD : xhatBD.div(this.inputScale)) as tf.Tensor2D;
      return { latents, recon, losses: { mse, fvu, auxK }, loss: fvu.add(auxK.mul(this.auxKCoefficient)) as tf.Scalar };
    });
  }

  /** theta <- decay * theta + (1 - decay) * min{f > 0} (the first update sets theta = min). */
  private updateThreshold(fBN: tf.Tensor2D): void {
    tf.tidy(() => {
      const f = stopGradient(fBN);
      const minKept = tf.where(f.greater(0), f, tf.fill(f.shape, Infinity)).min();
      const decay = this.thresholdUpdates === 0 ? 0 : this.thresholdDecay;
      const next = this.threshold.mul(decay).add(minKept.mul(1 - decay));
      // A batch with no positive activation leaves theta unchanged.
      this.threshold.assign(tf.where(minKept.isFinite(), next, this.threshold));
    });
    this.thresholdUpdates += 1;
  }

  /** The per-latent threshold SAELens stores for a JumpReLU: theta for every latent. */
  override thresholdN(): tf.Tensor1D {
    return tf.tidy(() => tf.fill([this.nLatents], 1).mul(this.threshold) as tf.Tensor1D);
  }
}

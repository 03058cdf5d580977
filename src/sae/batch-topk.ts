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
 * Training L0 is exactly k by construction; inference L0 (the threshold) differs from it, usually
 * below k early in training while theta still trails the batch minimum.
 * Latents are dense [B,N] (the per-input count varies); in a forward on cpu/wasm they are a padded
 * sparse code (sparse-path.ts, kernels/sparse-encode).
 */
import * as tf from '@tensorflow/tfjs';
import { stopGradient, untaped } from '../base/autodiff';
import { checkInt, checkNumber } from '../base/errors';
import { batchTopkActivation, batchTopkKeep, thresholdActivation } from '../../kernels/topk';
import { type Encoding, type LossContext, type LossTerm, SparseAutoencoder } from './base';
import {
  type ResolvedCommonConfig,
  type SaeCommonConfig,
  checkCoefficient,
  resolveCommon,
  resolveKAux,
} from './config';
import { deadLatentAuxK } from './losses';
import { checkK } from '../../kernels/shared/checks';
import { registerSaeArchitecture, standardWeightShapes } from './registry';

declare module './registry' {
  interface SaeArchitectureTypes {
    'batch-topk': { config: BatchTopKConfig; sae: BatchTopKSae };
  }
}

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

/** The BatchTopK config with every default filled in. */
export type ResolvedBatchTopKConfig = ResolvedCommonConfig & Required<BatchTopKConfig>;

/** What a BatchTopK SAE's subclass (Matryoshka on BatchTopK) hands to its constructor: the options resolved, its own name. */
export type ResolvedBatchTopKOptions = Omit<ResolvedBatchTopKConfig, 'architecture'> & {
  architecture: 'matryoshka-batch-topk';
};

/** Validates a BatchTopK config and fills in its defaults (before anything is allocated). */
export function resolveBatchTopKConfig(config: BatchTopKConfig): ResolvedBatchTopKConfig {
  const common = resolveCommon(config, ['k', 'thresholdDecay', 'auxKCoefficient', 'kAux']);
  return {
    architecture: 'batch-topk',
    ...common,
    k: checkK('k', config.k, common.nLatents),
    thresholdDecay: checkNumber('thresholdDecay', config.thresholdDecay ?? 0.99, { min: 0, max: 1, maxOpen: true }),
    auxKCoefficient: checkCoefficient('auxKCoefficient', config.auxKCoefficient ?? 1 / 32),
    kAux: resolveKAux(config.kAux, common.dIn, common.nLatents),
  };
}

/** The BatchTopK SAE (dense latents; in a forward on cpu/wasm, a padded sparse code: sparse-path.ts); Matryoshka-BatchTopK extends it. */
export class BatchTopKSae extends SparseAutoencoder {
  readonly architecture: 'batch-topk' | 'matryoshka-batch-topk' = 'batch-topk';
  declare readonly config: ResolvedBatchTopKConfig | ResolvedBatchTopKOptions;
  protected readonly reconstruction = { mse: 0, fvu: 1 };
  readonly k: number;
  readonly thresholdDecay: number;
  readonly auxKCoefficient: number;
  readonly kAux: number;
  /** Threshold updates so far (the first one sets theta to the batch minimum). */
  thresholdUpdates = 0;

  constructor(config: BatchTopKConfig | ResolvedBatchTopKOptions) {
    super(config.architecture === 'batch-topk' ? resolveBatchTopKConfig(config) : config);
    ({ k: this.k, thresholdDecay: this.thresholdDecay, auxKCoefficient: this.auxKCoefficient } = this.config);
    this.kAux = this.config.kAux;
    this.params.add('threshold', tf.scalar(0), false);
  }

  /** The global inference threshold theta (a scalar variable, not trained by gradient). */
  get threshold(): tf.Variable {
    return this.params.get('threshold');
  }

  /**
   * Training: the batch's top floor(kB) (and theta moves towards the smallest kept activation);
   * otherwise f = ReLU(z) * 1[ReLU(z) > theta], independent of the batch. A training forward also
   * reports the metric `inferenceL0`: mean_b #{i: ReLU(z_bi) > theta}, the latents per input the
   * threshold (before this step's update) would keep. Training L0 is k by construction; evaluation
   * (and a saved model) uses the threshold, so this is the L0 a user will see.
   */
  protected activate(xnBD: tf.Tensor2D, { training, forLoss }: { training: boolean; forLoss: boolean }): Encoding {
    const keep = batchTopkKeep(this.k, xnBD.shape[0], this.nLatents);
    const thetaN = tf.fill([this.nLatents], 1).mul(this.threshold) as tf.Tensor1D;
    const rule = training ? { kind: 'batch' as const, keep } : { kind: 'above' as const, selectN: thetaN };
    const code = forLoss ? this.sparsePath.encode(this, xnBD, rule, thetaN) : null;
    if (code !== null) {
      // every selected entry is positive, so ReLU is the activation on the code
      const valuesBK = code.preActsBK.relu().mul(code.validBK) as tf.Tensor2D;
      if (training) this.updateThreshold(valuesBK);
      const latents = { kind: 'sparse' as const, valuesBK, indicesBK: code.indicesBK };
      return { latents, metrics: training ? { inferenceL0: code.countAboveB.mean() as tf.Scalar } : {} };
    }
    const zBN = this.preActivations(xnBD);
    if (!training) return { latents: { kind: 'dense', denseBN: thresholdActivation(zBN, this.threshold) } };
    const inferenceL0 = untaped((z, th) => z.relu().greater(th).cast('float32').sum(1).mean(), zBN, this.threshold);
    const fBN = batchTopkActivation(zBN, this.k);
    this.updateThreshold(fBN);
    return { latents: { kind: 'dense', denseBN: fBN }, metrics: { inferenceL0: inferenceL0 as tf.Scalar } };
  }

  /** AuxK reads the dead latents unless its coefficient is 0. */
  override get usesDeadLatents(): boolean {
    return this.auxKCoefficient > 0;
  }

  /** AuxK over the dead latents (0 without dead latents or with alpha = 0). */
  protected override lossTerms({ xnBD, xhatBD, options }: LossContext): Record<string, LossTerm> {
    const value =
      this.auxKCoefficient === 0
        ? tf.scalar(0)
        : deadLatentAuxK(this.auxKWeights(), xnBD, xhatBD, options.deadLatents, this.kAux);
    return { auxK: { value, coefficient: this.auxKCoefficient } };
  }

  /** theta <- decay * theta + (1 - decay) * min{f > 0} (the first update sets theta = min). @param fBN dense [B,N] or sparse values [B,K] */
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

  override trainingState(): { json: Record<string, unknown>; tensors: Record<string, tf.Tensor> } {
    const state = super.trainingState();
    return { json: { ...state.json, thresholdUpdates: this.thresholdUpdates }, tensors: state.tensors };
  }

  override loadTrainingState(json: Record<string, unknown>, tensors: Record<string, tf.Tensor>): void {
    super.loadTrainingState(json, tensors);
    this.thresholdUpdates = checkInt('state.thresholdUpdates', json.thresholdUpdates as number, 0);
  }

  /** The per-latent threshold SAELens stores for a JumpReLU: theta for every latent. */
  override thresholdN(): tf.Tensor1D {
    return tf.tidy(() => tf.fill([this.nLatents], 1).mul(this.threshold) as tf.Tensor1D);
  }
}

/**
 * How SAELens holds a BatchTopK SAE (and Matryoshka on BatchTopK): a JumpReLU whose threshold is
 * theta for every latent (`thresholdN`).
 */
export const BATCH_TOPK_SAELENS_FOLDER = {
  architecture: 'jumprelu',
  weightShapes: (dIn: number, nLatents: number) => ({ ...standardWeightShapes(dIn, nLatents), threshold: [nLatents] }),
  loadWeights: (sae: BatchTopKSae, tensors: Record<string, tf.Tensor>) => {
    // One global threshold: the same for every latent in a folder saved this way.
    tf.tidy(() => sae.params.assign({ threshold: tensors.threshold.max() }));
    sae.loadWeights(tensors);
  },
};

registerSaeArchitecture({
  name: 'batch-topk',
  resolve: resolveBatchTopKConfig,
  create: (config: BatchTopKConfig) => new BatchTopKSae(config),
  saeLens: {
    ...BATCH_TOPK_SAELENS_FOLDER,
    trainingConfig: {
      architecture: 'batchtopk',
      fields: { k: 'k', aux_loss_coefficient: 'auxKCoefficient' },
      required: ['k'],
    },
  },
  cli: { k: { field: 'k', meaning: 'active latents per input', required: true } },
});

/**
 * TopK sparse autoencoder with the AuxK loss and the Multi-TopK objective.
 *
 * Gao et al. 2024, "Scaling and evaluating sparse autoencoders", arXiv:2406.04093:
 *   f = scatter(ReLU(topk(z, k)))                                   (Sec. 2.3, Eq. 3)
 *   L = FVU(k) + alpha * L_aux,  alpha = 1/32                        (Sec. A.2; losses.ts: FVU, AuxK)
 * Multi-TopK (Sec. 5.3; EleutherAI/sparsify): L = FVU(k) + FVU(4k) / 8, both from the same
 * pre-activations, so one SAE can be read at any k' (`encodeWithK`).
 * The encoder is the `topkEncode` op (sparse backward on cpu/wasm); decoding is the sparse-decode op.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError } from '../base/errors';
import { withKernels } from '../../kernels/shared/js-kernel';
import { topkEncode } from '../../kernels/topk';
import { type Encoding, type LossContext, type LossTerm, SparseAutoencoder } from './base';
import {
  type ResolvedCommonConfig,
  type SaeCommonConfig,
  checkBoolean,
  checkCoefficient,
  resolveCommon,
  resolveKAux,
} from './config';
import type { Latents } from './latents';
import { batchFvu, deadLatentAuxK } from './losses';
import { checkK } from '../../kernels/shared/checks';
import { registerSaeArchitecture } from './registry';

declare module './registry' {
  interface SaeArchitectureTypes {
    topk: { config: TopKConfig; sae: TopKSae };
  }
}

/** Config of the TopK SAE. */
export interface TopKConfig extends SaeCommonConfig {
  architecture: 'topk';
  /** Active latents per input (Gao et al. 2024 use 32). */
  k: number;
  /** AuxK coefficient alpha. Default 1/32 (Gao et al. 2024, Sec. A.2). */
  auxKCoefficient?: number;
  /** Dead latents used by AuxK. Default floor(dIn / 2) (Gao et al. 2024; openai used 256 at D=768 ... 512). */
  kAux?: number;
  /** Train with L(k) + L(4k)/8 (Multi-TopK). Default false. Needs 4k <= nLatents. */
  multiTopK?: boolean;
}

/** The TopK SAE's own option names. */
export const TOPK_KEYS = ['k', 'auxKCoefficient', 'kAux', 'multiTopK'];

/** The TopK options with every default filled in (shared by Matryoshka). */
export interface ResolvedTopKOptions {
  k: number;
  auxKCoefficient: number;
  kAux: number;
  multiTopK: boolean;
}

/** Validates the TopK options (k, AuxK, Multi-TopK) against the resolved common config. */
export function resolveTopKOptions(
  config: Omit<TopKConfig, 'architecture'>,
  n: number,
  d: number,
): ResolvedTopKOptions {
  const k = checkK('k', config.k, n);
  const multiTopK = checkBoolean('multiTopK', config.multiTopK ?? false);
  if (multiTopK && 4 * k > n) throw new ConfigError('k', `multiTopK needs 4k <= nLatents=${n}, got k=${k}`);
  return {
    k,
    auxKCoefficient: checkCoefficient('auxKCoefficient', config.auxKCoefficient ?? 1 / 32),
    kAux: resolveKAux(config.kAux, d, n),
    multiTopK,
  };
}

/** The TopK config with every default filled in. */
export type ResolvedTopKConfig = ResolvedCommonConfig & ResolvedTopKOptions & { architecture: 'topk' };

/** Validates a TopK config and fills in its defaults (before anything is allocated). */
export function resolveTopKConfig(config: TopKConfig): ResolvedTopKConfig {
  const common = resolveCommon(config, TOPK_KEYS);
  return { architecture: 'topk', ...common, ...resolveTopKOptions(config, common.nLatents, common.dIn) };
}

/** A resolved config of TopK or of an architecture built on it. */
type ResolvedTopKFamilyConfig = ResolvedCommonConfig & ResolvedTopKOptions & { architecture: string };

/** The TopK SAE (sparse latents); other architectures extend it (Matryoshka). */
export class TopKSae extends SparseAutoencoder {
  readonly architecture: string = 'topk';
  declare readonly config: ResolvedTopKFamilyConfig;
  protected readonly reconstruction = { mse: 0, fvu: 1 };
  readonly k: number;
  readonly auxKCoefficient: number;
  readonly kAux: number;
  readonly multiTopK: boolean;

  /** A subclass (another architecture name) passes its own config, resolved. */
  constructor(config: TopKConfig | ResolvedTopKFamilyConfig) {
    super(
      config.architecture === 'topk' ? resolveTopKConfig(config as TopKConfig) : (config as ResolvedTopKFamilyConfig),
    );
    ({ k: this.k, auxKCoefficient: this.auxKCoefficient, kAux: this.kAux, multiTopK: this.multiTopK } = this.config);
  }

  /** AuxK reads the dead latents unless its coefficient is 0. */
  override get usesDeadLatents(): boolean {
    return this.auxKCoefficient > 0;
  }

  /** Latents with any k' in [1, N] (the point of Multi-TopK training). */
  encodeWithK(xBD: tf.Tensor2D, k: number): Latents {
    checkK('k', k, this.nLatents);
    return withKernels(this.useKernels, () => tf.tidy(() => this.selectTopK(this.normalise(xBD), k)));
  }

  /** The k largest ReLU pre-activations per input, by the topkEncode op. */
  private selectTopK(xnBD: tf.Tensor2D, k: number): Latents {
    const wEnc = this.wEncDN as tf.Tensor2D;
    const { valuesBK, indicesBK } = topkEncode(xnBD, wEnc, this.bEncN as tf.Tensor1D, this.inputBias(), k);
    return { kind: 'sparse', valuesBK, indicesBK };
  }

  /** f = ReLU(topk(z, k)); Multi-TopK selects 4k once and takes the first k (descending order). */
  protected activate(xnBD: tf.Tensor2D, { forLoss }: { forLoss: boolean }): Encoding {
    if (!(this.multiTopK && forLoss)) return { latents: this.selectTopK(xnBD, this.k) };
    const wide = this.selectTopK(xnBD, 4 * this.k) as Extract<Latents, { kind: 'sparse' }>;
    const valuesBK = wide.valuesBK.slice([0, 0], [-1, this.k]);
    const indicesBK = wide.indicesBK.slice([0, 0], [-1, this.k]);
    return { latents: { kind: 'sparse', valuesBK, indicesBK }, wideLatents: wide };
  }

  /**
   * AuxK over the dead latents (0 without dead latents or with alpha = 0): the dead latents of
   * x' predict the residual target - output (x' - x'hat for an SAE, y' - y'hat for a transcoder).
   */
  auxK(xnBD: tf.Tensor2D, xhatBD: tf.Tensor2D, deadLatents?: Int32Array, targetBD = xnBD): tf.Scalar {
    if (this.auxKCoefficient === 0) return tf.scalar(0);
    return deadLatentAuxK(this.auxKWeights(), xnBD, xhatBD, deadLatents, this.kAux, targetBD);
  }

  /** AuxK over the dead latents, and FVU(4k)/8 for Multi-TopK. */
  protected override lossTerms({ xnBD, targetBD, xhatBD, act, options }: LossContext): Record<string, LossTerm> {
    const terms: Record<string, LossTerm> = {
      auxK: { value: this.auxK(xnBD, xhatBD, options.deadLatents, targetBD), coefficient: this.auxKCoefficient },
    };
    if (act.wideLatents) {
      const wideBD = this.outputNormalised(xnBD, act.wideLatents);
      terms.fvu4k = { value: batchFvu(targetBD, wideBD), coefficient: 1 / 8 };
    }
    return terms;
  }
}

registerSaeArchitecture({
  name: 'topk',
  resolve: resolveTopKConfig,
  create: (config: TopKConfig) => new TopKSae(config),
  saeLens: {
    architecture: 'topk',
    readFolder: (cfg, common, file) => {
      if (cfg.k === undefined) throw new InputError('cfg.k', `missing for architecture 'topk' in ${file}`);
      return { architecture: 'topk' as const, k: cfg.k as number, ...common };
    },
    cfgFields: (sae) => ({ k: sae.k }),
    trainingConfig: {
      architecture: 'topk',
      fields: { k: 'k', aux_loss_coefficient: 'auxKCoefficient' },
      required: ['k'],
    },
  },
  cli: { k: { field: 'k', meaning: 'active latents per input', required: true } },
});

/**
 * TopK transcoders and skip transcoders: SAE-shaped models that read an MLP's input x and
 * predict its output y, so their latents describe what the MLP computes, not what it is given.
 *
 * Dunefsky, Chlenski & Nanda 2024, "Transcoders Find Interpretable LLM Feature Circuits",
 * arXiv:2406.11944, Sec. 3.1; skip transcoders: Paulo, Shabalin & Belrose 2025, "Transcoders Beat
 * Sparse Autoencoders for Interpretability", arXiv:2501.18823, Sec. 2:
 *   x' = s x,  y' = s y                      one scale for input and target (1 unless normalised)
 *   z  = x' W_enc + b_enc                    no b_dec subtracted: b_dec lives in the output space
 *   f  = ReLU(topk(z, k))                    TopK (Gao et al. 2024), AuxK and Multi-TopK as topk.ts
 *   y'hat = f W_dec + b_dec (+ x' W_skip^T)   the skip term of a skip transcoder
 *   L  = FVU(y', y'hat) + alpha * AuxK       FVU and AuxK against the target y', not x'
 * W_enc [D,N], W_dec [N,D], b_dec [D], W_skip [D_out, D_in] (SAELens' orientation, zeros at
 * initialisation as SAELens and sparsify). Input and output widths are equal here (the MLP of a
 * residual-stream transformer maps D to D).
 *
 * Conventions of the public libraries, and ours: SAELens (sae_lens/saes/transcoder.py) and
 * sparsify (`transcode=True`) both encode x without subtracting b_dec (SAELens refuses
 * `apply_b_dec_to_input`), so `applyBDecToInput` must be false here. Both activate with ReLU
 * (SAELens) or TopK (sparsify); we use TopK through the TopK SAE's encoder. Decoder rows stay
 * unit-norm as for every SAE of the family (sparsify's default `normalize_decoder`). b_dec starts
 * at the geometric median (or mean) of a sample of targets, since it is the output's bias.
 * Tied initialisation (W_enc = W_dec^T) stays the family's default; sparsify instead starts a
 * transcoder's W_dec at zero, and SAELens draws both at random. Whether tying helps transcoders is open.
 *
 * Two registered names, one per SAELens architecture: 'transcoder-topk' (SAELens 'transcoder')
 * and 'skip-transcoder-topk' (SAELens 'skip_transcoder', with W_skip). SAELens' transcoders
 * activate with ReLU; our folders carry `k` (and our config block), which SAELens ignores, so
 * SAELens reads the tensors but not the TopK activation.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt, checkOneOf, checkShape } from '../base/errors';
import { init } from '../core/params';
import { withKernels } from '../../kernels/shared/js-kernel';
import type { ForwardOptions } from './base';
import { type ResolvedCommonConfig, resolveCommon } from './config';
import { geometricMedian } from './geometry';
import { type DataInitOptions, expectedNormScale } from './init';
import type { Latents } from './latents';
import { registerSaeArchitecture, standardWeightShapes } from './registry';
import { TOPK_KEYS, type ResolvedTopKOptions, type TopKConfig, TopKSae, resolveTopKOptions } from './topk';

/** The two transcoder architectures: without and with the linear skip term. */
export type TranscoderArchitecture = 'transcoder-topk' | 'skip-transcoder-topk';

declare module './registry' {
  interface SaeArchitectureTypes {
    'transcoder-topk': { config: TranscoderConfig & { architecture: 'transcoder-topk' }; sae: TopKTranscoder };
    'skip-transcoder-topk': {
      config: TranscoderConfig & { architecture: 'skip-transcoder-topk' };
      sae: TopKTranscoder;
    };
  }
}

/** Config of a TopK transcoder: the TopK options; `applyBDecToInput` must stay false. */
export interface TranscoderConfig extends Omit<TopKConfig, 'architecture'> {
  architecture: TranscoderArchitecture;
}

/** The transcoder config with every default filled in. */
export type ResolvedTranscoderConfig = ResolvedCommonConfig &
  ResolvedTopKOptions & { architecture: TranscoderArchitecture };

/** Validates a transcoder config and fills in its defaults (before anything is allocated). */
export function resolveTranscoderConfig(config: TranscoderConfig): ResolvedTranscoderConfig {
  const architecture = checkOneOf('architecture', config.architecture, ['transcoder-topk', 'skip-transcoder-topk']);
  if (config.applyBDecToInput === true) {
    throw new ConfigError(
      'applyBDecToInput',
      'must be false for a transcoder: b_dec is the bias of the output space, not of the input (SAELens refuses it too)',
    );
  }
  const common = resolveCommon({ ...config, applyBDecToInput: false }, TOPK_KEYS);
  return { architecture, ...common, ...resolveTopKOptions(config, common.nLatents, common.dIn) };
}

/** A TopK transcoder, with the skip term when built as 'skip-transcoder-topk'. */
export class TopKTranscoder extends TopKSae {
  override readonly architecture: TranscoderArchitecture;
  declare readonly config: ResolvedTranscoderConfig;
  /** yhat includes x W_skip^T. */
  readonly skip: boolean;

  constructor(config: TranscoderConfig) {
    const resolved = resolveTranscoderConfig(config);
    super(resolved);
    this.architecture = resolved.architecture;
    this.skip = resolved.architecture === 'skip-transcoder-topk';
    if (this.skip) this.params.add('W_skip', init.zeros([this.dIn, this.dIn]));
  }

  override get predictsTarget(): boolean {
    return true;
  }

  /** W_skip [D_out, D_in] (skip transcoders only). */
  get wSkipDD(): tf.Variable {
    if (!this.skip) throw new ConfigError('architecture', `a '${this.architecture}' has no W_skip`);
    return this.params.get('W_skip');
  }

  /** y' = s y: the target in normalised units; required. */
  protected override targetOf(xnBD: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    const y = options.target;
    if (y === undefined) throw new InputError('options.target', 'a transcoder needs the target y [B, D] it predicts');
    checkShape('options.target', y, xnBD.shape);
    return (this.inputScale === 1 ? y : y.mul(this.inputScale)) as tf.Tensor2D;
  }

  /** y'hat = f W_dec + b_dec, plus x' W_skip^T for a skip transcoder (explicit transpose: the fast matmul path). */
  protected override outputNormalised(xnBD: tf.Tensor2D, latents: Latents): tf.Tensor2D {
    const decodedBD = this.decodeNormalised(latents);
    if (!this.skip) return decodedBD;
    return decodedBD.add(xnBD.matMul(this.wSkipDD.transpose())) as tf.Tensor2D;
  }

  /** The prediction yhat of raw inputs x [B,D], in input units (what replaces the MLP's output). */
  transcode(xBD: tf.Tensor2D): tf.Tensor2D {
    return withKernels(this.useKernels, () =>
      tf.tidy(() => {
        const xnBD = this.normalise(xBD);
        const inference = { training: false, forLoss: false };
        const latents = this.activate(xnBD, inference).latents;
        return this.toInputUnits(this.outputNormalised(xnBD, latents));
      }),
    );
  }

  /**
   * The input scale from the inputs (when `normalizeInput`), b_dec from the targets [M,D] (the
   * output's bias): their geometric median (default), mean or zeros, in normalised units.
   */
  override async initFromData(
    sampleMD: tf.Tensor2D,
    options: DataInitOptions = {},
    targetMD?: tf.Tensor2D,
  ): Promise<void> {
    checkShape('sample', sampleMD, [null, this.dIn]);
    if (targetMD === undefined) throw new InputError('target', 'a transcoder sets b_dec from a sample of its targets');
    checkShape('target', targetMD, sampleMD.shape);
    const method = checkOneOf('bDecInit', options.bDecInit ?? 'geometric-median', [
      'geometric-median',
      'mean',
      'zeros',
    ] as const);
    const iterations = checkInt('medianIterations', options.medianIterations ?? 100, 1);
    if (options.normalizeInput) this.inputScale = await expectedNormScale(sampleMD);
    tf.tidy(() => {
      const yn = this.inputScale === 1 ? targetMD : (targetMD.mul(this.inputScale) as tf.Tensor2D);
      const bDec =
        method === 'zeros' ? tf.zeros([this.dIn]) : method === 'mean' ? yn.mean(0) : geometricMedian(yn, iterations);
      this.bDecD.assign(bDec);
    });
  }

  /** The base weights with W_skip, which the common scale leaves unchanged (x' W^T / s = x W^T). */
  override foldedWeights(): Record<string, tf.Tensor> {
    const out = super.foldedWeights();
    if (this.skip) out.W_skip = this.wSkipDD.clone();
    return out;
  }

  /** Loads `foldedWeights`' layout (W_skip required for a skip transcoder). */
  override loadWeights(weights: Record<string, tf.Tensor>): void {
    if (this.skip && !weights.W_skip) throw new InputError('weights', "missing 'W_skip'");
    super.loadWeights(weights);
    if (this.skip) this.params.assign({ W_skip: weights.W_skip });
  }
}

/** The registry entry of one of the two names (they differ in name, SAELens name and tensors). */
function register(name: TranscoderArchitecture, saeLensName: string, skip: boolean): void {
  registerSaeArchitecture({
    name,
    resolve: resolveTranscoderConfig,
    create: (config: TranscoderConfig) => new TopKTranscoder(config),
    saeLens: {
      architecture: saeLensName,
      // SAELens' own transcoder folders are ReLU transcoders: only folders that carry k read as TopK.
      readFolder: (cfg, common, file) => {
        if (cfg.k === undefined) {
          throw new InputError(
            'cfg.k',
            `missing in ${file}: an SAELens '${saeLensName}' without k is a ReLU transcoder, which is not built here`,
          );
        }
        if (cfg.d_out !== undefined && cfg.d_out !== common.dIn) {
          throw new InputError(
            'cfg.d_out',
            `must equal d_in=${common.dIn} (D to D transcoders only), got ${cfg.d_out}`,
          );
        }
        return { architecture: name, k: cfg.k as number, ...common, applyBDecToInput: false };
      },
      cfgFields: (sae) => ({ d_out: sae.dIn, k: sae.k }),
      weightShapes: (dIn, nLatents) => ({
        ...standardWeightShapes(dIn, nLatents),
        ...(skip ? { W_skip: [dIn, dIn] } : {}),
      }),
    },
    cli: { k: { field: 'k', meaning: 'active latents per input', required: true } },
  });
}

register('transcoder-topk', 'transcoder', false);
register('skip-transcoder-topk', 'skip_transcoder', true);

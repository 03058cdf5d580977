/**
 * Gated sparse autoencoder: one path decides which latents fire, another how strongly.
 *
 * Rajamanoharan et al. 2024a, "Improving Dictionary Learning with Gated Sparse Autoencoders",
 * arXiv:2404.16014, Sec. 3.1-3.2 (W_gate [N,D] in the paper is our W_enc^T):
 *   pi_gate = (x' - b_dec) W_enc + b_gate                     gate pre-activations [B,N]
 *   pi_mag  = (x' - b_dec) W_mag + b_mag,  W_mag = W_enc * exp(r_mag)   (column i scaled by exp(r_mag_i))
 *   f       = H(pi_gate) * ReLU(pi_mag)                       (H the Heaviside step: no gradient)
 *   L       = ||x' - x'hat(f)||^2                                              reconstruction (MSE)
 *           + lambda * sum_i ReLU(pi_gate)_i * sg(||W_dec,i||)                  sparsity (L1 of the gate)
 *           + ||x' - (ReLU(pi_gate) sg(W_dec) + sg(b_dec))||^2                   auxiliary reconstruction
 * each averaged over the batch. sg is stop-gradient: the auxiliary task reconstructs through a
 * frozen copy of the decoder (the paper's x̂_frozen), so its gradient trains only the gate path
 * (W_enc, b_gate, and b_dec where subtracted before encoding); the Heaviside gate gives the
 * reconstruction loss no gradient into the gate path. The L1 is weighted by the decoder-row norms,
 * frozen like the auxiliary decoder (the authors' note: the decoder is frozen in both or in
 * neither); under the unit-norm rows the paper and our trainer keep, the weight is 1.
 *
 * The gate bias is the base class's b_enc (pi_gate is the family's pre-activation z), saved as
 * SAELens' `b_gate` (sae_lens/saes/gated_sae.py: W_enc, b_gate, r_mag, b_mag, W_dec, b_dec).
 * Initialisation as SAELens and the paper: r_mag = b_mag = b_gate = 0 (W_mag = W_gate at first).
 * Latents are dense [B,N].
 */
import type * as tf from '@tensorflow/tfjs';
import { stopGradient, untaped } from '../base/autodiff';
import { InputError } from '../base/errors';
import { init } from '../core/params';
import { type Encoding, type LossContext, type LossTerm, SparseAutoencoder } from './base';
import { type ResolvedCommonConfig, type SaeCommonConfig, checkCoefficient, resolveCommon } from './config';
import { squaredError, weightedL1 } from './losses';
import { registerSaeArchitecture, standardWeightShapes } from './registry';

declare module './registry' {
  interface SaeArchitectureTypes {
    gated: { config: GatedConfig; sae: GatedSae };
  }
}

/** Config of the Gated SAE. */
export interface GatedConfig extends SaeCommonConfig {
  architecture: 'gated';
  /**
   * Sparsity coefficient lambda >= 0 on the gate's L1, in normalised units (the MSE sums over D).
   * Default 1 (SAELens `l1_coefficient`).
   */
  l1Coefficient?: number;
}

/** The Gated config with every default filled in. */
export type ResolvedGatedConfig = ResolvedCommonConfig & Required<GatedConfig>;

/** Validates a Gated config and fills in its defaults (before anything is allocated). */
export function resolveGatedConfig(config: GatedConfig): ResolvedGatedConfig {
  return {
    architecture: 'gated',
    ...resolveCommon(config, ['l1Coefficient']),
    l1Coefficient: checkCoefficient('l1Coefficient', config.l1Coefficient ?? 1),
  };
}

/** The Gated SAE (dense latents). */
export class GatedSae extends SparseAutoencoder {
  readonly architecture = 'gated' as const;
  declare readonly config: ResolvedGatedConfig;
  protected readonly reconstruction = { mse: 1, fvu: 0 };
  /** Read by the loss at every forward, so it may change between steps (the target-L0 controller, l0-controller.ts, sets it); `config` keeps the starting value. */
  l1Coefficient: number;

  constructor(config: GatedConfig) {
    super(resolveGatedConfig(config));
    this.l1Coefficient = this.config.l1Coefficient;
    this.params.add('r_mag', init.zeros([this.nLatents]));
    this.params.add('b_mag', init.zeros([this.nLatents]));
  }

  /** r_mag [N]: the magnitude path's log scale per latent. */
  get rMagN(): tf.Variable {
    return this.params.get('r_mag');
  }
  /** b_mag [N]. */
  get bMagN(): tf.Variable {
    return this.params.get('b_mag');
  }

  /**
   * f = H(pi_gate) * ReLU(pi_mag), both paths from one matmul u = (x' - b_dec) W_enc:
   * pi_gate = u + b_gate, pi_mag = u * exp(r_mag) + b_mag. The gate's pre-activations travel to the loss.
   */
  protected activate(xnBD: tf.Tensor2D): Encoding {
    const centredBD = this.applyBDecToInput ? xnBD.sub(this.bDecD) : xnBD;
    const uBN = centredBD.matMul(this.wEncDN);
    const gateBN = uBN.add(this.bEncN) as tf.Tensor2D;
    const magBN = uBN.mul(this.rMagN.exp()).add(this.bMagN);
    // H(pi_gate) is a constant for autodiff (the comparison has no gradient)
    const openBN = untaped((g) => g.greater(0).cast('float32'), gateBN);
    return { latents: { kind: 'dense', denseBN: openBN.mul(magBN.relu()) as tf.Tensor2D }, preActsBN: gateBN };
  }

  /** The gate's L1 and the auxiliary reconstruction through the frozen decoder. */
  protected override lossTerms({ xnBD, act }: LossContext): Record<string, LossTerm> {
    const gateReluBN = (act.preActsBN as tf.Tensor2D).relu() as tf.Tensor2D;
    const frozenWDecND = stopGradient(this.wDecND as tf.Tensor2D);
    const frozenBDecD = stopGradient(this.bDecD as tf.Tensor1D);
    const viaGateBD = gateReluBN.matMul(frozenWDecND).add(frozenBDecD) as tf.Tensor2D;
    return {
      l1: { value: weightedL1(gateReluBN, frozenWDecND), coefficient: this.l1Coefficient },
      auxReconstruction: { value: squaredError(xnBD, viaGateBD), coefficient: 1 },
    };
  }

  /** The base weights (b_enc is b_gate) with r_mag and b_mag, which the input scale leaves unchanged. */
  override foldedWeights(): Record<string, tf.Tensor> {
    return { ...super.foldedWeights(), r_mag: this.rMagN.clone(), b_mag: this.bMagN.clone() };
  }

  /** Loads `foldedWeights`' layout (r_mag and b_mag required). */
  override loadWeights(weights: Record<string, tf.Tensor>): void {
    for (const name of ['r_mag', 'b_mag']) {
      if (!weights[name]) throw new InputError('weights', `missing '${name}'`);
    }
    super.loadWeights(weights);
    this.params.assign({ r_mag: weights.r_mag, b_mag: weights.b_mag });
  }
}

/** SAELens' name for the gate bias, our b_enc. */
const SAELENS_GATE_BIAS = 'b_gate';

registerSaeArchitecture({
  name: 'gated',
  resolve: resolveGatedConfig,
  create: (config: GatedConfig) => new GatedSae(config),
  saeLens: {
    architecture: 'gated',
    readFolder: (_cfg, common) => ({ architecture: 'gated' as const, ...common }),
    weightShapes: (dIn, nLatents) => {
      const { b_enc: _gateBias, ...rest } = standardWeightShapes(dIn, nLatents);
      return { ...rest, [SAELENS_GATE_BIAS]: [nLatents], r_mag: [nLatents], b_mag: [nLatents] };
    },
    saveWeights: (sae) => {
      const { b_enc, ...rest } = sae.foldedWeights();
      return { ...rest, [SAELENS_GATE_BIAS]: b_enc };
    },
    loadWeights: (sae, tensors) => {
      const { [SAELENS_GATE_BIAS]: bGate, ...rest } = tensors;
      sae.loadWeights({ ...rest, b_enc: bGate });
    },
    trainingConfig: { architecture: 'gated', fields: { l1_coefficient: 'l1Coefficient' } },
  },
  cli: { sparsityCoefficient: { field: 'l1Coefficient', meaning: 'L1 coefficient' } },
});

/**
 * The standard SAE: ReLU latents and an L1 penalty weighted by the decoder-row norms.
 *
 * Bricken et al. 2023 ("Towards Monosemanticity", transformer-circuits.pub) and
 * Cunningham et al. 2023 ("Sparse Autoencoders Find Highly Interpretable Features in
 * Language Models", arXiv:2309.08600); the norm-weighted penalty as in Anthropic's
 * April 2024 update and SAELens' "standard" architecture:
 *   f = ReLU(z)
 *   L = mean_b ||x'_b - x'hat_b||^2 + lambda * mean_b sum_i |f_bi| * ||W_dec,i||   (losses.ts: MSE, L1)
 */
import * as tf from '@tensorflow/tfjs';
import { type Encoding, type LossContext, type LossTerm, SparseAutoencoder } from './base';
import { type ResolvedCommonConfig, type SaeCommonConfig, checkCoefficient, resolveCommon } from './config';
import { weightedL1 } from './losses';
import { registerSaeArchitecture } from './registry';

declare module './registry' {
  interface SaeArchitectureTypes {
    'relu-l1': { config: ReluL1Config; sae: ReluL1Sae };
  }
}

/** Config of the ReLU + L1 SAE. */
export interface ReluL1Config extends SaeCommonConfig {
  architecture: 'relu-l1';
  /**
   * L1 coefficient lambda >= 0, in normalised units (the MSE sums over D, inputs scaled to
   * E||x||^2 = D). Default 1: on the synthetic toy of the tests (64 directions in d = 32, 128 latents)
   * lambda = 1 gives FVU 0.15 at L0 26, lambda = 5 kills almost every latent (FVU 0.93). Tune it.
   */
  l1Coefficient?: number;
}

/** The ReLU + L1 config with every default filled in. */
export type ResolvedReluL1Config = ResolvedCommonConfig & Required<ReluL1Config>;

/** Validates a ReLU + L1 config and fills in its defaults (before anything is allocated). */
export function resolveReluL1Config(config: ReluL1Config): ResolvedReluL1Config {
  return {
    architecture: 'relu-l1',
    ...resolveCommon(config, ['l1Coefficient']),
    l1Coefficient: checkCoefficient('l1Coefficient', config.l1Coefficient ?? 1),
  };
}

/** The ReLU + L1 SAE (dense latents; in a forward on cpu/wasm, sparse while they are: sparse-path.ts). */
export class ReluL1Sae extends SparseAutoencoder {
  readonly architecture = 'relu-l1' as const;
  declare readonly config: ResolvedReluL1Config;
  protected readonly reconstruction = { mse: 1, fvu: 0 };
  /** Read by the loss at every forward, so it may change between steps (the target-L0 controller, l0-controller.ts, sets it); `config` keeps the starting value. */
  l1Coefficient: number;

  constructor(config: ReluL1Config) {
    super(resolveReluL1Config(config));
    this.l1Coefficient = this.config.l1Coefficient;
  }

  /** f = ReLU(z): in a forward, at the entries with z > 0 (sparse-path.ts) where that path runs. */
  protected activate(xnBD: tf.Tensor2D, { forLoss }: { forLoss: boolean }): Encoding {
    const zeroN = tf.zeros([this.nLatents]) as tf.Tensor1D;
    const code = forLoss ? this.sparsePath.encode(this, xnBD, { kind: 'above', selectN: zeroN }, zeroN) : null;
    if (code === null) return { latents: { kind: 'dense', denseBN: this.preActivations(xnBD).relu() as tf.Tensor2D } };
    const valuesBK = code.preActsBK.relu().mul(code.validBK) as tf.Tensor2D;
    return { latents: { kind: 'sparse', valuesBK, indicesBK: code.indicesBK } };
  }

  protected override lossTerms({ act }: LossContext): Record<string, LossTerm> {
    const latents = act.latents.kind === 'dense' ? act.latents.denseBN : act.latents;
    return { l1: { value: weightedL1(latents, this.wDecND as tf.Tensor2D), coefficient: this.l1Coefficient } };
  }
}

registerSaeArchitecture({
  name: 'relu-l1',
  resolve: resolveReluL1Config,
  create: (config) => new ReluL1Sae(config),
  saeLens: {
    architecture: 'standard',
    readFolder: (_cfg, common) => ({ architecture: 'relu-l1' as const, ...common }),
    trainingConfig: { architecture: 'standard', fields: { l1_coefficient: 'l1Coefficient' } },
  },
  cli: { sparsityCoefficient: { field: 'l1Coefficient', meaning: 'L1 coefficient' } },
});

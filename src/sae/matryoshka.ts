/**
 * Matryoshka sparse autoencoder on TopK, down to block size 1 (every prefix of the dictionary, the
 * default: a layout no public library uses). The published layout, BatchTopK latents with the
 * groups [N/16, N/16, N/8, N/4, N/2], is 'matryoshka-batch-topk' (matryoshka-batch-topk.ts).
 *
 * Bussmann, Nabeshima, Karvonen & Nanda 2025, "Learning Multi-Level Features with Matryoshka
 * Sparse Autoencoders", arXiv:2503.17547; Nabeshima 2024 ("Matryoshka Sparse Autoencoders",
 * LessWrong). Latents f are computed once (TopK here, Gao et al. 2024) and every nested
 * prefix of the dictionary must reconstruct on its own:
 *   L = (1/G) sum_g ||x' - b_dec - sum_{i < m_g} f_i W_dec,i||^2 / Var  +  alpha * L_aux
 * with prefix sizes m_1 < ... < m_G = N (Var: the batch's total variance, so each term is an FVU).
 * Block size 1 (`prefixes: 'all'`, m = 1..N) costs O(K*D) per input by the sorted-gap form
 * (kernels/matryoshka-loss); both forms are in losses.ts (`allPrefixFvu`, `prefixListFvu`).
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt } from '../base/errors';
import type { LossContext, LossTerm } from './base';
import { type ResolvedCommonConfig, resolveCommon } from './config';
import { allPrefixFvu, prefixListFvu } from './losses';
import { registerSaeArchitecture } from './registry';
import { type ResolvedTopKOptions, type TopKConfig, TopKSae, resolveTopKOptions } from './topk';

declare module './registry' {
  interface SaeArchitectureTypes {
    matryoshka: { config: MatryoshkaConfig; sae: MatryoshkaSae };
  }
}

/** Config of the Matryoshka SAE (a TopK SAE with a nested-prefix loss). */
export interface MatryoshkaConfig extends Omit<TopKConfig, 'architecture' | 'multiTopK'> {
  architecture: 'matryoshka';
  /** 'all' (block size 1: every prefix, the default) or increasing prefix sizes ending at nLatents. */
  prefixes?: 'all' | number[];
}

/** The Matryoshka config with every default filled in. */
export type ResolvedMatryoshkaConfig = ResolvedCommonConfig &
  ResolvedTopKOptions & { architecture: 'matryoshka'; prefixes: 'all' | number[] };

/** Validates a Matryoshka config and fills in its defaults (before anything is allocated). */
export function resolveMatryoshkaConfig(config: MatryoshkaConfig): ResolvedMatryoshkaConfig {
  const common = resolveCommon(config, ['k', 'auxKCoefficient', 'kAux', 'multiTopK', 'prefixes']);
  const n = common.nLatents;
  if ((config as { multiTopK?: unknown }).multiTopK) {
    throw new ConfigError('multiTopK', 'must be false for a Matryoshka SAE (its loss is the prefix loss)');
  }
  const topk = resolveTopKOptions({ ...config, multiTopK: false }, n, common.dIn);
  const p = config.prefixes ?? 'all';
  if (p !== 'all') {
    if (!Array.isArray(p) || p.length === 0)
      throw new ConfigError('prefixes', `must be 'all' or a non-empty list, got ${JSON.stringify(p)}`);
    p.forEach((m, i) => checkInt(`prefixes[${i}]`, m, i === 0 ? 1 : p[i - 1] + 1, n));
    if (p[p.length - 1] !== n) {
      throw new ConfigError('prefixes', `the last prefix must be nLatents=${n}, got ${p[p.length - 1]}`);
    }
  }
  return { architecture: 'matryoshka', ...common, ...topk, prefixes: p === 'all' ? 'all' : [...p] };
}

/** The Matryoshka SAE (sparse TopK latents, nested-prefix loss). */
export class MatryoshkaSae extends TopKSae {
  override readonly architecture = 'matryoshka' as const;
  declare readonly config: ResolvedMatryoshkaConfig;
  protected override readonly reconstruction = { mse: 0, fvu: 0 }; // the full prefix m = N is among the prefix terms
  /** 'all' or the prefix sizes. */
  readonly prefixes: 'all' | number[];

  constructor(config: MatryoshkaConfig) {
    const resolved = resolveMatryoshkaConfig(config);
    super(resolved);
    this.prefixes = resolved.prefixes;
  }

  /** The prefix FVU (every prefix or the list) and AuxK. */
  protected override lossTerms({ xnBD, xhatBD, act, options }: LossContext): Record<string, LossTerm> {
    if (act.latents.kind !== 'sparse') throw new Error('unreachable: TopK latents are sparse');
    const { valuesBK, indicesBK } = act.latents;
    const [wDec, bDec] = [this.wDecND as tf.Tensor2D, this.bDecD as tf.Tensor1D];
    const prefixFvu =
      this.prefixes === 'all'
        ? allPrefixFvu(valuesBK, indicesBK, wDec, bDec, xnBD)
        : prefixListFvu(valuesBK, indicesBK, wDec, bDec, xnBD, this.prefixes);
    return {
      prefixFvu: { value: prefixFvu, coefficient: 1 },
      auxK: { value: this.auxK(xnBD, xhatBD, options.deadLatents), coefficient: this.auxKCoefficient },
    };
  }
}

registerSaeArchitecture({
  name: 'matryoshka',
  resolve: resolveMatryoshkaConfig,
  create: (config: MatryoshkaConfig) => new MatryoshkaSae(config),
  // Saved as SAELens' TopK (the same inference); only our own config block restores the prefixes.
  saeLens: { architecture: 'topk', cfgFields: (sae) => ({ k: sae.k }) },
  cli: { k: { field: 'k', meaning: 'active latents per input', required: true } },
});

/**
 * Matryoshka SAE on BatchTopK with the published group layout (Bussmann, Nabeshima, Karvonen &
 * Nanda 2025, "Learning Multi-Level Features with Matryoshka Sparse Autoencoders",
 * arXiv:2503.17547; code: github.com/bartbussmann/matryoshka_sae, `GlobalBatchTopKMatryoshkaSAE`).
 * The dictionary is cut into groups of sizes
 *   [N/16, N/16, N/8, N/4, N/2]   (summing to N),
 * the latents f come once from BatchTopK (batch-topk.ts: the top floor(kB) of the batch, a global
 * threshold at inference), and each prefix ending at a group boundary m_g must reconstruct alone:
 *   L = (1/G) sum_g ||x' - b_dec - sum_{i < m_g} f_i W_dec,i||^2 / Var  +  alpha * L_aux
 * (Var: the batch's total variance, so each term is an FVU; AuxK as in BatchTopK).
 * The other Matryoshka of this package, 'matryoshka' (matryoshka.ts), is TopK with every prefix
 * (block size 1) by default, a layout no public library uses.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt } from '../base/errors';
import type { LossContext, LossTerm } from './base';
import {
  BATCH_TOPK_SAELENS_FOLDER,
  type BatchTopKConfig,
  BatchTopKSae,
  type ResolvedBatchTopKOptions,
  resolveBatchTopKConfig,
} from './batch-topk';
import { prefixListFvu, prefixListFvuDense } from './losses';
import { registerSaeArchitecture } from './registry';

declare module './registry' {
  interface SaeArchitectureTypes {
    'matryoshka-batch-topk': { config: MatryoshkaBatchTopKConfig; sae: MatryoshkaBatchTopKSae };
  }
}

/** Config of the Matryoshka-BatchTopK SAE. */
export interface MatryoshkaBatchTopKConfig extends Omit<BatchTopKConfig, 'architecture'> {
  architecture: 'matryoshka-batch-topk';
  /** Sizes of the nested groups, in order, summing to nLatents. Default [N/16, N/16, N/8, N/4, N/2] (Bussmann et al. 2025). */
  groupSizes?: number[];
}

/** The config with every default filled in. */
export type ResolvedMatryoshkaBatchTopKConfig = ResolvedBatchTopKOptions & { groupSizes: number[] };

/** The published layout [N/16, N/16, N/8, N/4, N/2]; N must be a multiple of 16. */
export function publishedGroupSizes(nLatents: number): number[] {
  checkInt('nLatents', nLatents, 16);
  if (nLatents % 16 !== 0)
    throw new ConfigError(
      'nLatents',
      `the published groups [N/16, N/16, N/8, N/4, N/2] need a multiple of 16, got ${nLatents}; pass groupSizes`,
    );
  const n = nLatents / 16;
  return [n, n, 2 * n, 4 * n, 8 * n];
}

/** Validates a Matryoshka-BatchTopK config and fills in its defaults (before anything is allocated). */
export function resolveMatryoshkaBatchTopKConfig(config: MatryoshkaBatchTopKConfig): ResolvedMatryoshkaBatchTopKConfig {
  const { groupSizes, ...rest } = config;
  const batchTopK = resolveBatchTopKConfig({ ...rest, architecture: 'batch-topk' });
  const n = batchTopK.nLatents;
  const sizes = groupSizes ?? publishedGroupSizes(n);
  if (!Array.isArray(sizes) || sizes.length === 0)
    throw new ConfigError(
      'groupSizes',
      `must be a non-empty list of sizes summing to nLatents, got ${JSON.stringify(sizes)}`,
    );
  sizes.forEach((s, i) => checkInt(`groupSizes[${i}]`, s, 1, n));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== n) throw new ConfigError('groupSizes', `must sum to nLatents = ${n}, got ${total}`);
  return { ...batchTopK, architecture: 'matryoshka-batch-topk', groupSizes: [...sizes] };
}

/** The group boundaries m_g: cumulative sums of the group sizes (the last is N). */
export function prefixEnds(groupSizes: number[]): number[] {
  let end = 0;
  return groupSizes.map((s) => (end += s));
}

/** The Matryoshka-BatchTopK SAE (BatchTopK latents, the prefix loss at the group boundaries). */
export class MatryoshkaBatchTopKSae extends BatchTopKSae {
  override readonly architecture = 'matryoshka-batch-topk' as const;
  declare readonly config: ResolvedMatryoshkaBatchTopKConfig;
  protected override readonly reconstruction = { mse: 0, fvu: 0 }; // the full dictionary is the last prefix term
  /** Group sizes and their cumulative ends. */
  readonly groupSizes: number[];
  readonly prefixes: number[];

  constructor(config: MatryoshkaBatchTopKConfig) {
    const resolved = resolveMatryoshkaBatchTopKConfig(config);
    super(resolved);
    this.groupSizes = resolved.groupSizes;
    this.prefixes = prefixEnds(resolved.groupSizes);
  }

  /** BatchTopK's terms (AuxK, the inference L0) and the prefix FVU. */
  protected override lossTerms(context: LossContext): Record<string, LossTerm> {
    const { xnBD, act } = context;
    const [wDec, bDec] = [this.wDecND as tf.Tensor2D, this.bDecD as tf.Tensor1D];
    const prefixFvu =
      act.latents.kind === 'sparse'
        ? prefixListFvu(act.latents.valuesBK, act.latents.indicesBK, wDec, bDec, xnBD, this.prefixes)
        : prefixListFvuDense(act.latents.denseBN, wDec, bDec, xnBD, this.prefixes);
    return { prefixFvu: { value: prefixFvu, coefficient: 1 }, ...super.lossTerms(context) };
  }
}

registerSaeArchitecture({
  name: 'matryoshka-batch-topk',
  resolve: resolveMatryoshkaBatchTopKConfig,
  create: (config: MatryoshkaBatchTopKConfig) => new MatryoshkaBatchTopKSae(config),
  // Saved as BatchTopK is (the same inference); only our own config block restores the groups.
  saeLens: BATCH_TOPK_SAELENS_FOLDER,
  cli: { k: { field: 'k', meaning: 'active latents per input', required: true } },
});

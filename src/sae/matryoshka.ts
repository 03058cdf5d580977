/**
 * Matryoshka sparse autoencoder, down to block size 1 (every prefix of the dictionary).
 *
 * Bussmann, Nabeshima, Karvonen & Nanda 2025, "Learning Multi-Level Features with Matryoshka
 * Sparse Autoencoders", arXiv:2503.17547; Nabeshima 2024 ("Matryoshka Sparse Autoencoders",
 * LessWrong). Latents f are computed once (TopK here, Gao et al. 2024) and every nested
 * prefix of the dictionary must reconstruct on its own:
 *   L = (1/G) sum_g ||x' - b_dec - sum_{i < m_g} f_i W_dec,i||^2 / Var  +  alpha * L_aux
 * with prefix sizes m_1 < ... < m_G = N (Var: the batch's total variance, so each term is an FVU).
 *
 * Block size 1 (`prefixes: 'all'`, m = 1..N) in O(K*D) per input: with the active indices
 * sorted, a_1 < ... < a_K, a_0 = 0, a_{K+1} = N, the prefix residual only changes at an
 * active latent, so
 *   sum_{m=1}^{N} ||r - sum_{i<m} f_i d_i||^2 = sum_{j=0}^{K} (a_{j+1} - a_j) ||r_j||^2,
 *   r_0 = x' - b_dec,  r_j = r_{j-1} - f_{a_j} d_{a_j}.
 * The kernel `matryoshkaAllPrefixLoss` computes it fused; `allPrefixLossReference` is the same
 * formula in plain tfjs (autodiff through a cumulative sum); `allPrefixLossNaive` is the
 * literal loop over all N prefixes, the definition the tests compare both against.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt } from '../core/errors';
import { type ForwardOptions, type SaeOutput, batchFvu, gatherRows, squaredError, untaped } from './base';
import { matryoshkaAllPrefixLoss } from '../../kernels/matryoshka-loss';
import { type TopKConfig, TopKSae, deadLatentAuxK } from './topk';

/** Config of the Matryoshka SAE (a TopK SAE with a nested-prefix loss). */
export interface MatryoshkaConfig extends Omit<TopKConfig, 'architecture' | 'multiTopK'> {
  architecture: 'matryoshka';
  /** 'all' (block size 1: every prefix, the default) or increasing prefix sizes ending at nLatents. */
  prefixes?: 'all' | number[];
}

/**
 * The literal all-prefix loss: for m = 1..N decode with the latents i < m.
 * O(N*K*D) per input: small N only (tests, lessons).
 * @param valuesBK [B,K] @param indicesBK [B,K] int32 @param wDecND [N,D] @param residualBD [B,D] = x' - b_dec
 * @returns [B] sum over prefixes of the squared residual norms
 */
export function allPrefixLossNaive(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [B, K] = valuesBK.shape;
    const [N, D] = wDecND.shape;
    const rowsBKD = gatherRows(wDecND, indicesBK.reshape([B * K])).reshape([B, K, D]);
    let total = tf.zeros([B]);
    for (let m = 1; m <= N; m++) {
      const keptBK = valuesBK.mul(untaped((i) => i.less(m).cast('float32'), indicesBK));
      const partialBD = rowsBKD.mul(keptBK.expandDims(2)).sum(1);
      total = total.add(residualBD.sub(partialBD).square().sum(1));
    }
    return total as tf.Tensor1D;
  });
}

/**
 * The all-prefix loss by the O(K*D) formula in plain tfjs (the reference path):
 * sort the active latents by index, r_j = r_0 - cumsum_j(f_a d_a), weights = index gaps.
 * Same arguments and result as `allPrefixLossNaive`.
 */
export function allPrefixLossReference(
  valuesBK: tf.Tensor2D,
  indicesBK: tf.Tensor2D,
  wDecND: tf.Tensor2D,
  residualBD: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [B, K] = valuesBK.shape;
    const [N, D] = wDecND.shape;
    // Ascending order of index within each row, as flat positions into the [B*K] arrays.
    const orderBK = untaped((i) => tf.topk(i.toFloat().neg(), K).indices, indicesBK);
    const flatBK = orderBK.add(tf.range(0, B * K, K, 'int32').reshape([B, 1])).reshape([B * K]);
    const idxBK = untaped((i, f) => tf.gather(i.toInt().reshape([B * K]), f).reshape([B, K]), indicesBK, flatBK);
    const valBK = gatherRows(valuesBK.reshape([B * K, 1]), flatBK).reshape([B, K]);
    const contribBKD = gatherRows(wDecND, idxBK.reshape([B * K]))
      .reshape([B, K, D])
      .mul(valBK.expandDims(2));
    // Cumulative sum over K on the last axis (tfjs 4.22's Cumsum gradient is wrong for inner axes).
    const cumBKD = tf.cumsum(contribBKD.transpose([0, 2, 1]), 2).transpose([0, 2, 1]);
    const rBKD = residualBD.expandDims(1).sub(cumBKD); // r_1 .. r_K
    const idxF = idxBK.toFloat();
    const nextBK = tf.concat([idxF.slice([0, 1], [-1, K - 1]), tf.fill([B, 1], N)], 1); // a_{j+1}
    const gapsBK = nextBK.sub(idxF); // w_1 .. w_K
    const first = idxF.slice([0, 0], [-1, 1]).reshape([B]); // w_0 = a_1
    return residualBD.square().sum(1).mul(first).add(rBKD.square().sum(2).mul(gapsBK).sum(1)) as tf.Tensor1D;
  });
}

/** The Matryoshka SAE (sparse TopK latents, nested-prefix loss). */
export class MatryoshkaSae extends TopKSae {
  override readonly architecture = 'matryoshka' as const;
  /** 'all' or the prefix sizes. */
  readonly prefixes: 'all' | number[];

  constructor(override readonly config: MatryoshkaConfig) {
    super({ ...config, multiTopK: false });
    try {
      const p = config.prefixes ?? 'all';
      if (p !== 'all') {
        if (!Array.isArray(p) || p.length === 0)
          throw new ConfigError('prefixes', `must be 'all' or a non-empty list, got ${JSON.stringify(p)}`);
        p.forEach((m, i) => checkInt(`prefixes[${i}]`, m, i === 0 ? 1 : p[i - 1] + 1, this.nLatents));
        if (p[p.length - 1] !== this.nLatents) {
          throw new ConfigError(
            'prefixes',
            `the last prefix must be nLatents=${this.nLatents}, got ${p[p.length - 1]}`,
          );
        }
      }
      this.prefixes = p === 'all' ? 'all' : [...p];
    } catch (e) {
      this.dispose(); // free the parameters made by super() before rethrowing
      throw e;
    }
  }

  override forward(xBD: tf.Tensor2D, options: ForwardOptions = {}): SaeOutput {
    return tf.tidy(() => {
      const xnBD = this.normalise(xBD);
      const { latents, xhatBD } = this.encodeDecode(xnBD);
      if (latents.kind !== 'sparse') throw new Error('unreachable: TopK latents are sparse');
      const { valuesBK, indicesBK } = latents;
      const variance = xnBD.sub(xnBD.mean(0, true)).square().sum().add(1e-12);
      const wDec = this.wDecND as tf.Tensor2D;
      let prefixFvu: tf.Scalar;
      if (this.prefixes === 'all') {
        const residualBD = xnBD.sub(this.bDecD) as tf.Tensor2D;
        const perInputB = this.useKernels
          ? matryoshkaAllPrefixLoss(valuesBK, indicesBK, wDec, residualBD)
          : allPrefixLossReference(valuesBK, indicesBK, wDec, residualBD);
        prefixFvu = perInputB.sum().div(variance.mul(this.nLatents)) as tf.Scalar;
      } else {
        const terms = this.prefixes.map((m) => {
          const keptBK = valuesBK.mul(untaped((i) => i.less(m).cast('float32'), indicesBK)) as tf.Tensor2D;
          const xhatMBD = this.decodeNormalised({ kind: 'sparse', valuesBK: keptBK, indicesBK });
          return xnBD.sub(xhatMBD).square().sum();
        });
        prefixFvu = tf.addN(terms).div(variance.mul(this.prefixes.length)) as tf.Scalar;
      }
      const mse = squaredError(xnBD, xhatBD);
      const fvu = batchFvu(xnBD, xhatBD);
      const auxK = deadLatentAuxK(this, xnBD, xhatBD, options.deadLatents);
      const recon = (this.inputScale === 1 ? xhatBD : xhatBD.div(this.inputScale)) as tf.Tensor2D;
      return {
        latents,
        recon,
        losses: { mse, fvu, prefixFvu, auxK },
        loss: prefixFvu.add(auxK.mul(this.auxKCoefficient)) as tf.Scalar,
      };
    });
  }
}

/**
 * TopK sparse autoencoder with the AuxK loss and the Multi-TopK objective.
 *
 * Gao et al. 2024, "Scaling and evaluating sparse autoencoders", arXiv:2406.04093:
 *   f = scatter(ReLU(topk(z, k)))                                   (Sec. 2.3, Eq. 3)
 *   L = FVU(k) + alpha * L_aux,  alpha = 1/32                        (Sec. A.2)
 *   L_aux = ||e - ehat||^2 / ||e - mean(e)||^2,  e = x' - x'hat (no gradient),
 *           ehat = W_dec^T topk_{k_aux}(z restricted to dead latents), WITHOUT b_dec
 *           (adding b_dec there is a known bug: EleutherAI/sparsify #132)
 * Multi-TopK (Sec. 5.3; EleutherAI/sparsify): L = FVU(k) + FVU(4k) / 8, both from the same
 * pre-activations, so one SAE can be read at any k' (`encodeWithK`).
 * FVU here is per batch, numerator and denominator summed separately (base.ts `batchFvu`).
 *
 * Two paths, one flag (`useKernels`): the fused kernels (`topkEncode` with a sparse backward
 * plus `sparseDecode`), or the plain-tfjs reference: a dense TopK mask and autodiff through
 * dense matmuls (the naive composite the benchmark compares against).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors';
import {
  type ForwardOptions,
  type Latents,
  type SaeCommonConfig,
  type SaeOutput,
  SparseAutoencoder,
  gatherRows,
  stopGradient,
  untaped,
  batchFvu,
  checkCoefficient,
  checkK,
  scatterLatents,
  squaredError,
} from './base';
import { sparseDecode } from '../../kernels/sparse-decode';
import { topkEncode } from '../../kernels/topk';

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

/**
 * Reference TopK by a dense mask: f = ReLU(z) * 1[i in topk(z_b, k)], differentiable by
 * autodiff (the mask is a constant), plus the sparse form of the same latents.
 * @param zBN [B,N] @returns fBN [B,N], valuesBK [B,K] (descending), indicesBK [B,K] int32
 */
export function topkDenseReference(
  zBN: tf.Tensor2D,
  k: number,
): { fBN: tf.Tensor2D; valuesBK: tf.Tensor2D; indicesBK: tf.Tensor2D } {
  return tf.tidy(() => {
    const [B, N] = zBN.shape;
    const indices = untaped((z) => tf.topk(z, k).indices, zBN) as tf.Tensor2D;
    const maskBN = untaped(
      (i) => scatterLatents(tf.onesLike(i).cast('float32') as tf.Tensor2D, i as tf.Tensor2D, N),
      indices,
    );
    const reluBN = zBN.relu();
    const fBN = reluBN.mul(maskBN) as tf.Tensor2D;
    // The kept values again, by a differentiable gather (tf.topk itself has no gradient).
    const flat = indices.add(tf.range(0, B * N, N, 'int32').reshape([B, 1])).reshape([B * k]);
    const valuesBK = gatherRows(reluBN.reshape([B * N, 1]), flat).reshape([B, k]) as tf.Tensor2D;
    return { fBN, valuesBK, indicesBK: indices as tf.Tensor2D };
  });
}

/**
 * AuxK loss over the dead latents (Gao et al. 2024, Sec. A.2):
 *   a = ReLU(topk(zDead, kAux)),  ehat = a W_dead  (no b_dec),
 *   L_aux = sum_b ||e_b - ehat_b||^2 / sum_b ||e_b - mean_b(e)||^2
 * @param residualBD [B,D] e = x' - x'hat, treated as a constant
 * @param zDeadBM [B,M] pre-activations of the M dead latents
 * @param wDeadMD [M,D] their decoder rows
 * @returns scalar
 */
export function auxKLoss(residualBD: tf.Tensor2D, zDeadBM: tf.Tensor2D, wDeadMD: tf.Tensor2D, kAux: number): tf.Scalar {
  return tf.tidy(() => {
    const e = stopGradient(residualBD);
    const { fBN: aBM } = topkDenseReference(zDeadBM, Math.min(kAux, zDeadBM.shape[1]));
    const ehatBD = aBM.matMul(wDeadMD);
    const total = e.sub(e.mean(0, true)).square().sum();
    return e.sub(ehatBD).square().sum().div(total.add(1e-12)) as tf.Scalar;
  });
}

/**
 * The AuxK term of an SAE for the given dead latents (0 when there are none or alpha = 0).
 * Only the dead columns of W_enc are multiplied: O(B*D*M) for M dead latents, instead of
 * a second dense encoder pass.
 * @param xnBD [B,D] normalised inputs @param xhatBD [B,D] their normalised reconstruction
 */
export function deadLatentAuxK(
  sae: SparseAutoencoder & { auxKCoefficient: number; kAux: number },
  xnBD: tf.Tensor2D,
  xhatBD: tf.Tensor2D,
  deadLatents?: Int32Array,
): tf.Scalar {
  if (!deadLatents || deadLatents.length === 0 || sae.auxKCoefficient === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const deadM = tf.tensor1d(deadLatents, 'int32');
    const centred = sae.applyBDecToInput ? xnBD.sub(sae.bDecD) : xnBD;
    const wEncDeadDM = gatherRows(sae.wEncDN.transpose(), deadM).transpose();
    const bEncDeadM = gatherRows(sae.bEncN.reshape([-1, 1]), deadM).reshape([-1]);
    const zDeadBM = centred.matMul(wEncDeadDM).add(bEncDeadM) as tf.Tensor2D;
    const wDeadMD = gatherRows(sae.wDecND, deadM);
    return auxKLoss(xnBD.sub(xhatBD) as tf.Tensor2D, zDeadBM, wDeadMD, sae.kAux);
  });
}

/** The TopK SAE (sparse latents). */
export class TopKSae extends SparseAutoencoder {
  readonly architecture: 'topk' | 'matryoshka' = 'topk';
  readonly k: number;
  readonly auxKCoefficient: number;
  readonly kAux: number;
  readonly multiTopK: boolean;

  constructor(readonly config: Omit<TopKConfig, 'architecture'> & { architecture: 'topk' | 'matryoshka' }) {
    super(config);
    try {
      this.k = checkK('k', config.k, this.nLatents);
      this.auxKCoefficient = checkCoefficient('auxKCoefficient', config.auxKCoefficient ?? 1 / 32);
      this.kAux =
        config.kAux === undefined ? Math.max(1, Math.floor(this.dIn / 2)) : checkK('kAux', config.kAux, this.nLatents);
      this.multiTopK = config.multiTopK ?? false;
      if (this.multiTopK && 4 * this.k > this.nLatents) {
        throw new ConfigError('k', `multiTopK needs 4k <= nLatents=${this.nLatents}, got k=${this.k}`);
      }
    } catch (e) {
      this.dispose(); // free the parameters made by super() before rethrowing
      throw e;
    }
  }

  /** Latents with the model's k. */
  encode(xBD: tf.Tensor2D): Latents {
    return this.encodeWithK(xBD, this.k);
  }

  /** Latents with any k' in [1, N] (the point of Multi-TopK training). */
  encodeWithK(xBD: tf.Tensor2D, k: number): Latents {
    checkK('k', k, this.nLatents);
    return tf.tidy(() => {
      const xnBD = this.normalise(xBD);
      const { valuesBK, indicesBK } = this.useKernels
        ? topkEncode(xnBD, this.wEncDN as tf.Tensor2D, this.bEncN as tf.Tensor1D, this.inputBias(), k)
        : topkDenseReference(this.preActivations(xnBD), k);
      return { kind: 'sparse' as const, valuesBK, indicesBK };
    });
  }

  /** x'hat = sum_j v_j W_dec[i_j] + b_dec by the sparse-decode kernel (or the dense reference). */
  override decodeNormalised(latents: Latents): tf.Tensor2D {
    if (latents.kind === 'dense' || !this.useKernels) return super.decodeNormalised(latents);
    return sparseDecode(latents.valuesBK, latents.indicesBK, this.wDecND as tf.Tensor2D, this.bDecD as tf.Tensor1D);
  }

  /**
   * Sparse latents and the normalised reconstruction, differentiable: returns the
   * reconstructions for k (and 4k when Multi-TopK trains) and the dense pre-activations
   * when they were computed anyway.
   */
  protected encodeDecode(xnBD: tf.Tensor2D): { latents: Latents; xhatBD: tf.Tensor2D; xhat4BD?: tf.Tensor2D } {
    const { k } = this;
    const wDec = this.wDecND as tf.Tensor2D;
    const bDec = this.bDecD as tf.Tensor1D;
    if (!this.multiTopK) {
      if (this.useKernels) {
        const { valuesBK, indicesBK } = topkEncode(
          xnBD,
          this.wEncDN as tf.Tensor2D,
          this.bEncN as tf.Tensor1D,
          this.inputBias(),
          k,
        );
        return {
          latents: { kind: 'sparse', valuesBK, indicesBK },
          xhatBD: sparseDecode(valuesBK, indicesBK, wDec, bDec),
        };
      }
      const { fBN, valuesBK, indicesBK } = topkDenseReference(this.preActivations(xnBD), k);
      return { latents: { kind: 'sparse', valuesBK, indicesBK }, xhatBD: fBN.matMul(wDec).add(bDec) as tf.Tensor2D };
    }
    // Multi-TopK: select 4k once; the first k of them (descending order) are the top k.
    if (this.useKernels) {
      const { valuesBK: v4, indicesBK: i4 } = topkEncode(
        xnBD,
        this.wEncDN as tf.Tensor2D,
        this.bEncN as tf.Tensor1D,
        this.inputBias(),
        4 * k,
      );
      const valuesBK = v4.slice([0, 0], [-1, k]);
      const indicesBK = i4.slice([0, 0], [-1, k]);
      return {
        latents: { kind: 'sparse', valuesBK, indicesBK },
        xhatBD: sparseDecode(valuesBK, indicesBK, wDec, bDec),
        xhat4BD: sparseDecode(v4, i4, wDec, bDec),
      };
    }
    const zBN = this.preActivations(xnBD);
    const r4 = topkDenseReference(zBN, 4 * k);
    const indicesBK = r4.indicesBK.slice([0, 0], [-1, k]) as tf.Tensor2D;
    const maskBN = untaped(
      (i) => scatterLatents(tf.onesLike(i).cast('float32') as tf.Tensor2D, i as tf.Tensor2D, this.nLatents),
      indicesBK,
    );
    const fBN = zBN.relu().mul(maskBN) as tf.Tensor2D;
    return {
      latents: { kind: 'sparse', valuesBK: r4.valuesBK.slice([0, 0], [-1, k]) as tf.Tensor2D, indicesBK },
      xhatBD: fBN.matMul(wDec).add(bDec) as tf.Tensor2D,
      xhat4BD: r4.fBN.matMul(wDec).add(bDec) as tf.Tensor2D,
    };
  }

  forward(xBD: tf.Tensor2D, options: ForwardOptions = {}): SaeOutput {
    return tf.tidy(() => {
      const xnBD = this.normalise(xBD);
      const { latents, xhatBD, xhat4BD } = this.encodeDecode(xnBD);
      const mse = squaredError(xnBD, xhatBD);
      const fvu = batchFvu(xnBD, xhatBD);
      const auxK = deadLatentAuxK(this, xnBD, xhatBD, options.deadLatents);
      let loss = fvu.add(auxK.mul(this.auxKCoefficient));
      const losses: SaeOutput['losses'] = { mse, fvu, auxK };
      if (xhat4BD) {
        losses.fvu4k = batchFvu(xnBD, xhat4BD);
        loss = loss.add(losses.fvu4k.div(8));
      }
      const recon = (this.inputScale === 1 ? xhatBD : xhatBD.div(this.inputScale)) as tf.Tensor2D;
      return { latents, recon, losses, loss: loss as tf.Scalar };
    });
  }
}

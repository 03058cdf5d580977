/**
 * TopK activation, reference (Gao et al. 2024, "Scaling and evaluating sparse autoencoders",
 * arXiv:2406.04093, Eq. 3):  f = ReLU(topk(z, k)), returned as a sparse code
 * (values [B,K] in descending order, ties to the lower index, and their indices [B,K]).
 * BatchTopK (Bussmann, Leask & Nanda 2024, arXiv:2412.06410): keep the floor(k*B) largest
 * entries of ReLU(Z) over the whole batch (dense output).
 *
 * Gradients: tfjs has none for `topk` or `scatterND`, so each op is a `tf.customGrad`:
 *   d f_bj / d z_{b, idx_bj} = 1[f_bj > 0]   (scattered back into a dense [B,N] gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { customOp, stopGradient, untaped } from '../../src/base/autodiff';
import { rowColumnPairs } from '../densify/reference';
import { checkEncoderArgs, checkFloat2D, checkK } from '../shared/checks';
import { InputError, describeValue } from '../../src/base/errors';

/** Sparse code of one TopK layer: values [B,K] (float32) and latent indices [B,K] (int32). */
export interface SparseCode {
  valuesBK: tf.Tensor2D;
  indicesBK: tf.Tensor2D;
}

/**
 * values = ReLU of the k largest entries of each row of preActs (descending; ties to the lower
 * index), indices = their columns. Gradient reaches preActs only at kept entries with value > 0.
 * @param preActsBN [B, N]  @returns { valuesBK [B,K], indicesBK [B,K] int32 }
 */
export function topkActivationReference(preActsBN: tf.Tensor2D, k: number): SparseCode {
  checkFloat2D('preActsBN', preActsBN);
  const [b, n] = preActsBN.shape;
  checkK('k', k, n);
  const indicesBK = tf.tidy(() => stopGradient(tf.topk(preActsBN, k, true).indices)) as tf.Tensor2D; // no tape path through ints
  const select = customOp(([z], save) => {
    const pairs = rowColumnPairs(indicesBK);
    const valuesBK = tf.gatherND(z, pairs).reshape([b, k]).relu();
    save([pairs, valuesBK]);
    return {
      value: valuesBK,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedPairs, savedValues] = saved;
        const kept = dy.mul(savedValues.greater(0).cast('float32'));
        return tf.scatterND(savedPairs, kept.reshape([-1]), [b, n]);
      },
    };
  });
  const valuesBK = select(preActsBN) as tf.Tensor2D;
  return { valuesBK, indicesBK };
}

/**
 * TopK encoder, reference: preActs = (x - b_dec) W_enc + b_enc, then topkActivation
 * (dense backward through the matmul: this is what the sparse kernel must equal).
 * @param xBD [B,D]  @param wEncDN [D,N]  @param bEncN [N]  @param bDecD [D]
 */
export function topkEncodeReference(
  xBD: tf.Tensor2D,
  wEncDN: tf.Tensor2D,
  bEncN: tf.Tensor1D,
  bDecD: tf.Tensor1D,
  k: number,
): SparseCode {
  checkEncodeArgs(xBD, wEncDN, bEncN, bDecD, k);
  const preActsBN = tf.tidy(() => tf.matMul(xBD.sub(bDecD), wEncDN).add(bEncN) as tf.Tensor2D);
  const code = topkActivationReference(preActsBN, k);
  preActsBN.dispose();
  return code;
}

/** One encoder's weights: W_enc [D,N], b_enc [N], and the bias subtracted from its input b_dec [D]. */
export interface EncoderWeights {
  wEncDN: tf.Tensor2D;
  bEncN: tf.Tensor1D;
  bDecD: tf.Tensor1D;
}

/**
 * A stack of S TopK encoders reading one batch, reference: member s's code is
 * topkEncodeReference(x, W_enc_s, b_enc_s, b_dec_s, ks[s]), padded with zero entries (value 0,
 * latent 0) to K = max ks, in rows s*B ... s*B + B - 1 of the result (its own latent indices).
 * @param xBD [B,D]  @param members each { wEncDN [D,N], bEncN [N], bDecD [D] }  @param ks [S]
 */
export function topkEncodeStackReference(
  xBD: tf.Tensor2D,
  members: readonly EncoderWeights[],
  ks: readonly number[],
): SparseCode {
  checkEncodeStackArgs(xBD, members, ks);
  const kMax = Math.max(...ks);
  return tf.tidy(() => {
    const codes = members.map(({ wEncDN, bEncN, bDecD }, m) => {
      const { valuesBK, indicesBK } = topkEncodeReference(xBD, wEncDN, bEncN, bDecD, ks[m]);
      const pad: [number, number][] = [
        [0, 0],
        [0, kMax - ks[m]],
      ];
      return { values: valuesBK.pad(pad), indices: indicesBK.pad(pad) };
    });
    const valuesBK = tf.concat(codes.map((c) => c.values)) as tf.Tensor2D;
    const indicesBK = stopGradient(tf.concat(codes.map((c) => c.indices)) as tf.Tensor2D);
    return { valuesBK, indicesBK };
  });
}

/** Shared argument checks of topkEncodeStack (reference and kernel): every member as topkEncode checks it. */
export function checkEncodeStackArgs(
  xBD: tf.Tensor2D,
  members: readonly EncoderWeights[],
  ks: readonly number[],
): void {
  if (!Array.isArray(members) || members.length === 0) {
    throw new InputError('members', `must be a non-empty list of encoder weights, got ${describeValue(members)}`);
  }
  if (!Array.isArray(ks) || ks.length !== members.length) {
    throw new InputError('ks', `must list one k per member (${members.length}), got ${describeValue(ks)}`);
  }
  const n = members[0]?.wEncDN?.shape?.[1];
  for (const [m, { wEncDN, bEncN, bDecD }] of members.entries()) {
    checkEncodeArgs(xBD, wEncDN, bEncN, bDecD, ks[m]);
    if (wEncDN.shape[1] !== n)
      throw new InputError(`members[${m}].wEncDN`, `has ${wEncDN.shape[1]} latents, member 0 ${n}`);
  }
}

/** Shared argument checks of topkEncode (reference and sparse kernel). */
export function checkEncodeArgs(
  xBD: tf.Tensor2D,
  wEncDN: tf.Tensor2D,
  bEncN: tf.Tensor1D,
  bDecD: tf.Tensor1D,
  k: number,
): void {
  checkEncoderArgs(xBD, wEncDN, bEncN, bDecD);
  checkK('k', k, wEncDN.shape[1]);
}

/**
 * How many entries BatchTopK keeps in a batch of B rows of N latents: floor(k * B), at least 1 and
 * at most B * N (k is the average number of active latents per row and may be fractional).
 */
export function batchTopkKeep(k: number, b: number, n: number): number {
  if (typeof k !== 'number' || !Number.isFinite(k) || k <= 0 || k > n) {
    throw new InputError('k', `must be a number in (0, ${n}], got ${k}`);
  }
  return Math.max(1, Math.min(b * n, Math.floor(k * b)));
}

/**
 * BatchTopK: keep the floor(k * B) largest entries of ReLU(preActs) over the whole batch
 * (ties to the lower flat index), zero elsewhere. Gradient: dy where the output is > 0.
 * @param preActsBN [B,N]  @returns [B,N]
 */
export function batchTopkActivationReference(preActsBN: tf.Tensor2D, k: number): tf.Tensor2D {
  checkFloat2D('preActsBN', preActsBN);
  const [b, n] = preActsBN.shape;
  const keep = batchTopkKeep(k, b, n);
  const select = customOp(([z], save) => {
    const flat = z.reshape([1, b * n]);
    const idx = tf.topk(flat, keep, true).indices.reshape([keep, 1]);
    const kept = tf.gatherND(flat.reshape([b * n]), idx).relu();
    const out = tf.scatterND(idx, kept, [b * n]).reshape([b, n]);
    save([out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => dy.mul(saved[0].greater(0).cast('float32')),
    };
  });
  return select(preActsBN) as tf.Tensor2D;
}

/**
 * BatchTopK at inference (Bussmann et al. 2024, Sec. 3): f = ReLU(z) * 1[ReLU(z) > theta], with
 * one global theta (a number >= 0 or a scalar tensor: the EMA of the smallest kept activation
 * during training) or one theta per latent ([N]; +Infinity never fires). The mask is a constant
 * for autodiff (a comparison has no gradient), so df/dz = 1[ReLU(z) > theta].
 * @param preActsBN [B,N]  @param theta number, scalar tensor or [N]  @returns [B,N]
 */
export function thresholdActivation(preActsBN: tf.Tensor2D, theta: number | tf.Tensor): tf.Tensor2D {
  checkFloat2D('preActsBN', preActsBN);
  const n = preActsBN.shape[1];
  if (typeof theta === 'number') {
    if (!Number.isFinite(theta) || theta < 0)
      throw new InputError('theta', `must be a number in [0, Infinity), got ${theta}`);
  } else if (!(theta instanceof tf.Tensor) || !(theta.rank === 0 || (theta.rank === 1 && theta.shape[0] === n))) {
    throw new InputError('theta', `must be a number, a scalar tensor or a [${n}] tensor, got ${describeValue(theta)}`);
  }
  return tf.tidy(() => {
    const reluBN = preActsBN.relu();
    const thetaT = typeof theta === 'number' ? tf.scalar(theta) : theta;
    return reluBN.mul(untaped((r, th) => r.greater(th).cast('float32'), reluBN, thetaT)) as tf.Tensor2D;
  });
}

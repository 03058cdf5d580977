/**
 * A stack of TopK SAEs trained together in one pass (SaeTrainer's fast path for stacks of `topk`).
 *
 * Every member reads the same batch, so the stack encodes with one call of the stacked TopK
 * encoder (kernels/topk `topkEncodeStack`), decodes with one call of the stacked sparse decode
 * (kernels/sparse-decode `sparseDecodeStack`), and computes every member's MSE and FVU with one
 * set of reductions over [S, B, D]. Per step that is a fixed number of ops instead of S times the
 * template forward's (base.ts): a stack of small SAEs pays for dispatch, not arithmetic.
 * AuxK stays per member (each has its own dead set) and runs only for members with dead latents.
 *
 * Each member's arithmetic is its own forward's (the same products, selection, decode, reductions
 * and loss sum loss_s = FVU_s + alpha_s AuxK_s), so a stack trained in one pass equals its members
 * trained alone, exactly (tests/sae/stacked.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { withKernels } from '../../kernels/shared/js-kernel';
import { type DecoderWeights, sparseDecodeStack } from '../../kernels/sparse-decode';
import { type EncoderWeights, topkEncodeStack } from '../../kernels/topk';
import type { SparseAutoencoder } from './base';
import { stackReconstructionLosses } from './losses';
import { TopKSae } from './topk';

/** What the trainer keeps of one member's forward: its loss, its named terms, and how often each latent fired. */
export interface MemberPass {
  loss: tf.Scalar;
  /** mse, fvu, auxK: the names the template forward reports. */
  terms: Record<string, tf.Scalar>;
  /** Inputs of the batch on which each latent fired [N]. */
  firedN: tf.Tensor1D;
}

/**
 * Can these SAEs train in one pass? Two or more plain TopK SAEs (not Multi-TopK, not a
 * transcoder or Matryoshka) on the fast path (`useKernels`), with one input scale and one
 * choice of subtracting b_dec before encoding (they normalise and centre the batch alike).
 */
export function trainsInOnePass(saes: readonly SparseAutoencoder[]): saes is readonly TopKSae[] {
  if (saes.length < 2) return false;
  const [first] = saes;
  return saes.every(
    (s) =>
      s instanceof TopKSae &&
      s.architecture === 'topk' &&
      !s.multiTopK &&
      s.useKernels &&
      s.inputScale === first.inputScale &&
      s.applyBDecToInput === first.applyBDecToInput,
  );
}

/**
 * One training forward of every member on the batch x [B,D]; `deadLatents[s]` is member s's dead
 * set (AuxK). Call it inside the gradient tape: the stacked weights are built from each member's
 * own variables, so their gradients reach the members. The caller disposes the tensors returned.
 */
export function topkStackForward(
  saes: readonly TopKSae[],
  xBD: tf.Tensor2D,
  deadLatents: readonly Int32Array[],
): MemberPass[] {
  const [first] = saes;
  const [S, B, D, N] = [saes.length, xBD.shape[0], first.dIn, first.nLatents];
  return withKernels(true, () =>
    tf.tidy(() => {
      const xnBD = first.normalise(xBD); // checks x; every member has this scale
      const encoders = saes.map((s) => ({ wEncDN: s.wEncDN, bEncN: s.bEncN, bDecD: s.inputBias() }) as EncoderWeights);
      const ks = saes.map((s) => s.k);
      const { valuesBK, indicesBK } = topkEncodeStack(xnBD, encoders, ks); // [S*B, K], member s's rows s*B ...
      const decoders = saes.map((s) => ({ wDecND: s.wDecND, bDecD: s.bDecD }) as DecoderWeights);
      const xhatSBD = sparseDecodeStack(valuesBK, indicesBK, decoders).reshape([S, B, D]) as tf.Tensor3D;
      const { mseS, fvuS } = stackReconstructionLosses(xnBD, xhatSBD);
      const [mse, fvu] = [tf.unstack(mseS), tf.unstack(fvuS)] as tf.Scalar[][];
      // Firing counts of every member at once: member s's latents are s*N ... in the scatter.
      const offsets = tf.tensor2d(
        Int32Array.from({ length: S * B }, (_, row) => Math.floor(row / B) * N),
        [S * B, 1],
        'int32',
      );
      const stackedIndices = indicesBK.add(offsets).reshape([-1, 1]);
      const firedSN = tf.scatterND(stackedIndices, valuesBK.greater(0).cast('float32').reshape([-1]), [S * N]);
      const fired = tf.unstack(firedSN.reshape([S, N])) as tf.Tensor1D[];
      return saes.map((sae, s) => {
        const dead = deadLatents[s];
        const auxK =
          dead.length > 0 && sae.auxKCoefficient > 0
            ? sae.auxK(xnBD, xhatSBD.slice([s, 0, 0], [1, B, D]).reshape([B, D]), dead)
            : tf.scalar(0);
        // The template's sum (base.ts): FVU with coefficient 1, then AuxK's when nonzero.
        const alpha = sae.auxKCoefficient;
        const loss = alpha === 0 ? fvu[s] : (fvu[s].add(alpha === 1 ? auxK : auxK.mul(alpha)) as tf.Scalar);
        return { loss, terms: { mse: mse[s], fvu: fvu[s], auxK }, firedN: fired[s] };
      });
    }),
  );
}

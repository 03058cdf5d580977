/**
 * The sparse path of the dense-activation architectures (ReLU + L1, BatchTopK, JumpReLU).
 *
 * Their latents are sparse after the activation, and their gradients to the pre-activations
 * vanish off the active entries (for JumpReLU's threshold: off the kernel window). So, like
 * TopK, one dense encoder product is enough: select the entries (kernels/sparse-encode), apply
 * the activation to them, decode with the sparse-decode op, and backpropagate into W_enc through
 * the selected columns only. The dense path (`useKernels: false`, GPU backends) is the reference.
 *
 * A code is only cheaper while it is sparse: a ReLU SAE early in training keeps about half of its
 * latents, and the sparse decode then costs more than the dense matmuls. After a step whose
 * widest row held more than N / 16 entries (about the break-even: the sparse passes reach an
 * order of magnitude fewer FLOP/s than the matmul; `npm run bench sae` times both), forwards take the
 * dense path and try the sparse one again every 16th step. Small dictionaries are the exception:
 * there the dense matmuls are too small to run at speed and every kernel's fixed cost dominates, so
 * the sparse path pays for wider codes (`MIN_SPARSE_WIDTH`; the sae bench rows time a small ReLU step
 * both ways). Both paths compute the same loss and gradients.
 */
import type * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../base/errors';
import { type SelectRule, type SelectedCode, sparseEncode, sparseEncodeActive } from '../../kernels/sparse-encode';

/** Widest code (as a fraction of N) the sparse path is used for. */
export const MAX_SPARSE_FRACTION = 1 / 16;
/** Widest code (entries) the sparse path is always used for, whatever N. */
export const MIN_SPARSE_WIDTH = 32;
/** While dense, try the sparse path again every this many forwards. */
export const RETRY_EVERY = 16;

/** The weights and input bias the encoder reads (SparseAutoencoder's accessors). */
interface Encoder {
  readonly nLatents: number;
  readonly wEncDN: tf.Tensor;
  readonly bEncN: tf.Tensor;
  inputBias(): tf.Tensor1D;
}

/** Chooses per forward between the sparse encoder and the dense reference path. */
export class SparsePath {
  private dense = false;
  private denseForwards = 0;

  /** The selected code, or null where the dense path runs (no kernel here, or codes too wide lately). */
  encode(sae: Encoder, xnBD: tf.Tensor2D, rule: SelectRule, countN: tf.Tensor1D): SelectedCode | null {
    if (!sparseEncodeActive()) return null;
    if (this.dense && ++this.denseForwards % RETRY_EVERY !== 0) return null;
    const code = sparseEncode(xnBD, sae.wEncDN as tf.Tensor2D, sae.bEncN as tf.Tensor1D, sae.inputBias(), rule, countN);
    this.dense = code.preActsBK.shape[1] > Math.max(sae.nLatents * MAX_SPARSE_FRACTION, MIN_SPARSE_WIDTH);
    return code;
  }

  /** The choice so far (saved with a training run: the two paths round differently). */
  getState(): { dense: boolean; denseForwards: number } {
    return { dense: this.dense, denseForwards: this.denseForwards };
  }

  /** Restores `getState()`. */
  loadState(state: unknown): void {
    const { dense, denseForwards } = (state ?? {}) as { dense?: unknown; denseForwards?: unknown };
    if (typeof dense !== 'boolean')
      throw new InputError('state.sparsePath.dense', `must be a boolean, got ${String(dense)}`);
    this.dense = dense;
    this.denseForwards = checkInt('state.sparsePath.denseForwards', denseForwards as number, 0);
  }
}

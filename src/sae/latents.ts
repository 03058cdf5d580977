/**
 * Latents in one of two layouts, and the conversions between them: SPARSE `{valuesBK, indicesBK}`
 * for the per-input TopK family (topk, matryoshka), and for the others (relu-l1, batch-topk,
 * jumprelu) in a forward on cpu/wasm while their codes are sparse (sparse-path.ts: rows padded
 * with value 0); DENSE `[B,N]` for those otherwise. Consumers handle both.
 */
import * as tf from '@tensorflow/tfjs';
import { densify } from '../../kernels/densify';

/** Latents in one of two layouts. */
export type Latents =
  | { kind: 'sparse'; valuesBK: tf.Tensor2D; indicesBK: tf.Tensor2D }
  | { kind: 'dense'; denseBN: tf.Tensor2D };

/**
 * Scatters sparse latents into a dense [B,N] tensor (kernels/densify, differentiable in the values).
 * @param valuesBK [B,K] @param indicesBK [B,K] int32 @returns [B,N]
 */
export function scatterLatents(valuesBK: tf.Tensor2D, indicesBK: tf.Tensor2D, nLatents: number): tf.Tensor2D {
  return tf.tidy(() => densify(valuesBK, indicesBK.toInt() as tf.Tensor2D, nLatents));
}

/** The latents as a dense [B,N] tensor (a new tensor in both cases). */
export function denseLatents(latents: Latents, nLatents: number): tf.Tensor2D {
  return latents.kind === 'dense'
    ? latents.denseBN.clone()
    : scatterLatents(latents.valuesBK, latents.indicesBK, nLatents);
}

/**
 * How many inputs of the batch fired each latent (f > 0).
 * @returns [N]
 */
export function firedCounts(latents: Latents, nLatents: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (latents.kind === 'dense') return latents.denseBN.greater(0).cast('float32').sum(0) as tf.Tensor1D;
    const { valuesBK, indicesBK } = latents;
    const n = valuesBK.size;
    return tf.scatterND(indicesBK.toInt().reshape([n, 1]), valuesBK.greater(0).cast('float32').reshape([n]), [
      nLatents,
    ]) as tf.Tensor1D;
  });
}

/** Every tensor held by a latents record. */
export function latentTensors(latents: Latents): tf.Tensor[] {
  return latents.kind === 'sparse' ? [latents.valuesBK, latents.indicesBK] : [latents.denseBN];
}

/**
 * gensparse kernels: the five hot ops, each a custom tfjs kernel on the backends that have one
 * and its composite reference elsewhere (README.md in this folder has the table). Browser-safe.
 */
/** Reparameterized sampling with counter-based eps (fused kernel), its reference, and the eps itself. */
export { sampleReparam, sampleReparamReference, counterNormal } from './reparam-sample';
/** TopK activation / encoder (sparse backward) / BatchTopK / inference threshold, and their references. */
export {
  topkActivation,
  topkActivationReference,
  topkEncode,
  topkEncodeReference,
  batchTopkActivation,
  batchTopkActivationReference,
  thresholdActivation,
  densify,
} from './topk';
/** A sparse code: values [B,K] and int32 indices [B,K]. */
export type { SparseCode } from './topk';
/** Sparse decode (scatter-add backward) and the dense reference. */
export { sparseDecode, sparseDecodeReference } from './sparse-decode';
/** JumpReLU and its step with straight-through gradients (fused kernels), and the references. */
export { jumpRelu, jumpReluReference, jumpReluStep, jumpReluStepReference } from './jumprelu';
/** Matryoshka all-prefix loss: the O(K*D) kernel, the literal reference, the sorted-gap composite. */
export {
  matryoshkaAllPrefixLoss,
  matryoshkaAllPrefixLossReference,
  matryoshkaAllPrefixLossSortedGap,
} from './matryoshka-loss';
/** Switch every op to its reference (true) or back to the kernels; `kernelActive(name)` tells which runs. */
export { useReferenceKernels, kernelActive, hasKernel } from './shared/js-kernel';
/** Stop-gradient (same data, no tape history), used for int32 indices. */
export { detach } from './shared/detach';
/** The custom kernel names (GensparseTopK, ...). */
export { K as KERNEL_NAMES } from './shared/kernel-names';
/** Adam's per-parameter update in one pass (used by the core optimiser). */
export { adamUpdate, adamUpdateReference } from './adam-update';
export type { AdamHyper } from './adam-update';

/**
 * gensparse kernels: the five hot ops, each a custom tfjs kernel on the backends that have one
 * and its composite reference elsewhere (README.md in this folder has the table). Browser-safe.
 */
/** Reparameterized sampling with counter-based eps (fused kernel), its reference, and the eps itself. */
export { sampleReparam, sampleReparamReference, counterNormal } from './reparam-sample';
/** TopK activation / encoder (sparse backward) / a stack of encoders / BatchTopK / inference threshold, and their references. */
export {
  topkActivation,
  topkActivationReference,
  topkEncode,
  topkEncodeReference,
  topkEncodeStack,
  topkEncodeStackReference,
  batchTopkActivation,
  batchTopkActivationReference,
  thresholdActivation,
} from './topk';
/** A sparse code: values [B,K] and int32 indices [B,K]; one encoder's weights (a stack's member). */
export type { EncoderWeights, SparseCode } from './topk';
/** Sparse encode: pre-activations at the entries a rule selects (sparse backward), and the dense reference. */
export { sparseEncode, sparseEncodeReference } from './sparse-encode';
export type { SelectRule, SelectedCode } from './sparse-encode';
/** Sparse decode (scatter-add backward), a stack of decoders in one call, and the dense references. */
export { sparseDecode, sparseDecodeReference, sparseDecodeStack, sparseDecodeStackReference } from './sparse-decode';
export type { DecoderWeights } from './sparse-decode';
/** JumpReLU and its step with straight-through gradients (fused kernels), and the references. */
export { jumpRelu, jumpReluReference, jumpReluStep, jumpReluStepReference } from './jumprelu';
/** Matryoshka all-prefix loss: the O(K*D) kernel and the sorted-gap reference. */
export { matryoshkaAllPrefixLoss, matryoshkaAllPrefixLossReference } from './matryoshka-loss';
/** A sparse code scattered into a dense [B,N] matrix (differentiable in the values). */
export { densify } from './densify';
/**
 * The one switch between kernels and references (`useKernels`): globally, for a scope, and
 * which runs; GENSPARSE_USE_KERNELS=0 forces the references.
 */
export { setUseKernels, withKernels, kernelsEnabled, kernelActive, hasKernel } from './shared/js-kernel';
/** The custom kernel names (GensparseTopK, ...). */
export { K as KERNEL_NAMES } from './shared/kernel-names';
/** Adam's per-parameter update in one pass (used by the core optimiser). */
export { adamUpdate, adamUpdateReference } from './adam-update';
export type { AdamHyper } from './adam-update';

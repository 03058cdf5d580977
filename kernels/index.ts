/**
 * gensparse kernels: the five hot ops, each a custom tfjs kernel on the backends that have one
 * and its composite reference elsewhere. Browser-safe.
 */
export { sampleReparam, sampleReparamReference, counterNormal } from './reparam-sample';
export {
  topkActivation, topkActivationReference, topkEncode, topkEncodeReference, batchTopkActivation,
  batchTopkActivationReference, thresholdActivation, densify,
} from './topk';
export type { SparseCode } from './topk';
export { sparseDecode, sparseDecodeReference } from './sparse-decode';
export { jumpRelu, jumpReluReference, jumpReluStep, jumpReluStepReference } from './jumprelu';
export { matryoshkaAllPrefixLoss, matryoshkaAllPrefixLossReference, matryoshkaAllPrefixLossSortedGap } from './matryoshka-loss';
/** Switch every op to its reference (true) or back to the kernels; `kernelActive(name)` tells which runs. */
export { useReferenceKernels, kernelActive, hasKernel } from './shared/js-kernel';
/** The custom kernel names (GensparseTopK, ...). */
export { K as KERNEL_NAMES } from './shared/kernel-names';

/**
 * The sparse-autoencoder family (browser-safe): one contract (`base`), five architectures,
 * one trainer, held-out metrics. SAELens files are in `./node`.
 */
/** The shared contract: latents, forward record, decoder-norm step, tied init, b_dec from data. */
export {
  SAE_ARCHITECTURES,
  SparseAutoencoder,
  denseLatents,
  scatterLatents,
  firedCounts,
  disposeOutput,
  squaredError,
  batchFvu,
  geometricMedian,
  unitRows,
  removeParallelGrad,
  stopGradient,
  untaped,
  gatherRows,
  checkK,
} from './base';
/** Types of the shared contract. */
export type { SaeArchitecture, SaeCommonConfig, Latents, SaeOutput, ForwardOptions, DataInitOptions } from './base';
/** ReLU + decoder-norm-weighted L1 (the "standard" SAE). */
export { ReluL1Sae, weightedL1 } from './relu-l1';
/** Config of the ReLU + L1 SAE. */
export type { ReluL1Config } from './relu-l1';
/** TopK with AuxK and Multi-TopK (Gao et al. 2024). */
export { TopKSae, topkDenseReference, auxKLoss, deadLatentAuxK } from './topk';
/** Config of the TopK SAE. */
export type { TopKConfig } from './topk';
/** BatchTopK with its inference threshold (Bussmann et al. 2024). */
export { BatchTopKSae, batchTopkDenseReference } from './batch-topk';
/** Config of the BatchTopK SAE. */
export type { BatchTopKConfig } from './batch-topk';
/** JumpReLU with straight-through pseudo-derivatives (Rajamanoharan et al. 2024). */
export { JumpReluSae, jumpReluReference, jumpReluStepReference, rectangleKernel } from './jumprelu';
/** Config of the JumpReLU SAE. */
export type { JumpReluConfig } from './jumprelu';
/** Matryoshka with prefix lists or every prefix (block size 1). */
export { MatryoshkaSae, allPrefixLossNaive, allPrefixLossReference } from './matryoshka';
/** Config of the Matryoshka SAE. */
export type { MatryoshkaConfig } from './matryoshka';
/** Build any architecture from its config. */
export { createSae, saeConfigOf } from './create';
/** The union of all SAE configs. */
export type { SaeConfig } from './create';
/** The trainer for the whole family and the reference learning rate. */
export { SaeTrainer, referenceLearningRate } from './trainer';
/** Trainer options. */
export type { SaeTrainerConfig } from './trainer';
/** Held-out metrics: MSE, FVU over the whole set, L0, dead fraction, density histogram, reconstruction bias. */
export { evaluateSae, densityHistogram } from './metrics';
/** Result and options of `evaluateSae`. */
export type { SaeEvaluation, EvaluateOptions } from './metrics';
/** The evaluation suite: splicing, SAEBench record, known truth, absorption, stability, dashboards, steering. */
export * from './eval';

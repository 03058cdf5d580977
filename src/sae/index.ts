/**
 * The sparse-autoencoder family (browser-safe): one contract and template (`base`), every loss
 * term (`losses`), the architecture registry and its architectures, one trainer, held-out
 * metrics. SAELens files are in `./node`.
 */
/** The shared contract and the one template forward. */
export { SparseAutoencoder, disposeOutput } from './base';
/** Types of the shared contract. */
export type { SaeOutput, ForwardOptions, DataInitOptions, LossTerm, LossContext, Encoding } from './base';
/** Config shared by every architecture. */
export { checkCoefficient, checkBoolean } from './config';
export { checkK } from '../../kernels/shared/checks';
/** Types of the shared config. */
export type { SaeCommonConfig } from './config';
/** The architecture registry: register one, look them up (every architecture below registers itself). */
export { registerSaeArchitecture, standardWeightShapes } from './registry';
/** Types of the registry. */
export type {
  SaeArchitecture,
  SaeArchitectureTypes,
  ArchitectureEntry,
  RegisteredArchitecture,
  SaeLensHooks,
  TrainFlag,
  TrainFlagUse,
} from './registry';
/** Lookups over the registered architectures. */
export { saeArchitecture, saeArchitectures, saeArchitectureNames, findSaeArchitecture } from './architectures';
/** Latents in their two layouts. */
export { denseLatents, scatterLatents, firedCounts } from './latents';
/** The latents record. */
export type { Latents } from './latents';
/** Decoder geometry and the b_dec initialiser. */
export { geometricMedian, unitRows, removeParallelGrad } from './geometry';
/** Every SAE loss term beside its formula. */
export {
  squaredError,
  batchFvu,
  weightedL1,
  l0Penalty,
  auxKLoss,
  deadLatentAuxK,
  allPrefixFvu,
  prefixListFvu,
  pooledL0,
} from './losses';
/** ReLU + decoder-norm-weighted L1 (the "standard" SAE). */
export { ReluL1Sae } from './relu-l1';
/** Config of the ReLU + L1 SAE. */
export type { ReluL1Config } from './relu-l1';
/** TopK with AuxK and Multi-TopK (Gao et al. 2024). */
export { TopKSae } from './topk';
/** Config of the TopK SAE. */
export type { TopKConfig } from './topk';
/** BatchTopK with its inference threshold (Bussmann et al. 2024). */
export { BatchTopKSae } from './batch-topk';
/** Config of the BatchTopK SAE. */
export type { BatchTopKConfig } from './batch-topk';
/** JumpReLU with straight-through pseudo-derivatives (Rajamanoharan et al. 2024). */
export { JumpReluSae, rectangleKernel } from './jumprelu';
/** Config of the JumpReLU SAE. */
export type { JumpReluConfig } from './jumprelu';
/** Matryoshka on TopK with prefix lists or every prefix (block size 1, the default). */
export { MatryoshkaSae } from './matryoshka';
/** Config of the Matryoshka SAE. */
export type { MatryoshkaConfig } from './matryoshka';
/** Matryoshka on BatchTopK with the published groups [N/16, N/16, N/8, N/4, N/2] (Bussmann et al. 2025). */
export { MatryoshkaBatchTopKSae, publishedGroupSizes } from './matryoshka-batch-topk';
export type { MatryoshkaBatchTopKConfig } from './matryoshka-batch-topk';
/** Gated SAE: a gate path and a magnitude path (Rajamanoharan et al. 2024a). */
export { GatedSae } from './gated';
/** Config of the Gated SAE. */
export type { GatedConfig } from './gated';

export { TopKTranscoder } from './transcoder';

export type { TranscoderConfig, TranscoderArchitecture } from './transcoder';
/** Build any architecture from its config. */
export { createSae, resolveSaeConfig, saeConfigOf } from './create';
/** The union of all SAE configs. */
export type { SaeConfig } from './create';
/** The trainer for the whole family and the reference learning rate. */
export { SaeTrainer, StackMember, memberMetrics, referenceLearningRate } from './trainer';
/** Trainer options. */
export type { SaeTrainerConfig } from './trainer';
/** Steers a sparsity coefficient toward a target L0 during training, frozen for the end (SynthSAEBench). */
export { TargetL0Controller, sparsityCoefficientField } from './l0-controller';
/** Options of the controller. */
export type { TargetL0Options } from './l0-controller';

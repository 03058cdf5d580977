/**
 * The SAE evaluation suite (browser-safe): splicing into the character model, reconstruction core
 * metrics, the SAEBench core record, the known-truth benchmark metrics, absorption, seed
 * stability, feature dashboards, steering, and `evaluateSaeFull` that runs them all.
 */
/** Latents as compressed sparse rows, and decoder directions in input units. */
export { latentRowsOf, latentValue, decoderDirections } from './latent-rows';
/** Type of the sparse rows. */
export type { LatentRows } from './latent-rows';
/** Pooled reconstruction metrics (explained variance, cosine, L2 ratio, bias, L0, L1, alive). */
export { ReconstructionStats } from './reconstruction';
/** Result of the reconstruction metrics. */
export type { ReconstructionMetrics } from './reconstruction';
/** Held-out metrics of a model: MSE, FVU over the whole set, L0, dead fraction, density histogram, reconstruction bias. */
export { evaluateSae, densityHistogram } from './reconstruction';
/** Result and options of `evaluateSae`. */
export type { SaeEvaluation, EvaluateOptions } from './reconstruction';
/** Splicing the SAE into the char model: clean, spliced, ablated losses, loss recovered, KL. */
export { spliceEvaluate, spliceWindows, meanResidual, windowIds, disposeLatents, fractionRecovered } from './splice';
/** Options and results of splicing. */
export type { SpliceOptions, SpliceBatch, SpliceMetrics, SpliceResult } from './splice';
/** Splicing a transcoder in place of an MLP of the char model: loss recovered against zero and mean ablation. */
export { spliceMlpEvaluate, meanMlpOutput } from './splice-mlp';
/** Options and results of the MLP splice. */
export type { MlpSpliceOptions, MlpSpliceMetrics, MlpSpliceResult } from './splice-mlp';
/** One-to-one (Hungarian) matching and absolute cosine matrices. */
export { maxSimilarityAssignment, cosineMatrix, absCosineMatrix } from './assignment';
/** Type of a matching. */
export type { Assignment } from './assignment';
/** Known-truth metrics: MCC, precision/recall/F1, uniqueness, shrinkage; MMCS, recovered features, absorption rate. */
export { KnownTruthStats, evaluateKnownTruth, featureRecovery, absorptionRate } from './truth';
/** Types of the known-truth metrics. */
export type {
  KnownTruthMetrics,
  KnownTruthSource,
  DictionaryVsTruth,
  Recovery,
  AbsorptionInput,
  ParentAbsorption,
} from './truth';
/** Seed stability of two decoders. */
export { seedStability, rowCosines } from './stability';
/** Result of seed stability. */
export type { SeedStability } from './stability';
/** Absorption: the hierarchical toy and the character-level vowel task. */
export {
  toyAbsorption,
  charAbsorption,
  charAbsorptionTask,
  charAbsorptionOf,
  trainLinearProbe,
  absorptionCounts,
} from './absorption';
/** Types of the absorption measurements. */
export type { ToyAbsorption, CharAbsorption, CharAbsorptionOptions, LinearProbe, AbsorptionCounts } from './absorption';
/** Streaming feature dashboards and logit effects. */
export { DashboardCollector, logitEffects } from './dashboards';
/** Types of the dashboards. */
export type { DashboardOptions, FeatureDashboard, ContextExample, LogitEffects } from './dashboards';
/** Seeded steering with a decoder direction. */
export { generateSteered, sampleNext } from './steering';
/** Types of steering. */
export type { SteeringOptions, SteeringResult } from './steering';
/** The core metrics in SAEBench's result layout. */
export { saeBenchCore, encoderDecoderStats } from './saebench';
/** Types of the SAEBench record. */
export type { SaeBenchCoreOutput, SaeBenchFeatureDetail, SaeBenchInput } from './saebench';
/** Every evaluation in one call. */
export { evaluateSaeFull, fullEvaluationSteps } from './full';
/** Options and result of the full evaluation. */
export type { FullEvaluationOptions, FullEvaluation } from './full';

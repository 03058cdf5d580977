/**
 * The side-by-side table of `npm run bench`: for each step measured both here and in PyTorch
 * (rows sharing a `compareKey`), the package's time, that time over the package's own floor
 * (one dense encoder matmul at the step's size, which any SAE step pays: [1024,512] x [512,8192]
 * at the reference size, [256,64] x [64,256] at the experiments' size, keys `small/...`),
 * PyTorch's time, and package / PyTorch (below 1: the package is faster). The sparsify-style
 * PyTorch TopK step (`topk-sparsify`) is compared with the package's TopK step.
 */
import type { BenchRow } from './harness';

const ORDER: [string, string][] = [
  ['floor', 'encoder matmul [1024,512] x [512,8192]'],
  ['topk', 'TopK'],
  ['matryoshka', 'Matryoshka (every prefix)'],
  ['multi-topk', 'Multi-TopK'],
  ['batch-topk', 'BatchTopK'],
  ['jumprelu', 'JumpReLU'],
  ['relu-l1', 'ReLU + L1'],
  ['topk-sparsify', 'TopK vs PyTorch sparsify-style (sparse encoder backward)'],
  ['vae', 'VAE 784-512-20, B=128'],
  ['small/floor', 'encoder matmul [256,64] x [64,256]'],
  ['small/topk', 'TopK d=64 n=256 k=5 B=256'],
  ['small/matryoshka', 'Matryoshka (every prefix) d=64 n=256 k=5 B=256'],
  ['small/multi-topk', 'Multi-TopK d=64 n=256 k=5 B=256'],
  ['small/batch-topk', 'BatchTopK d=64 n=256 k=5 B=256'],
  ['small/jumprelu', 'JumpReLU d=64 n=256 B=256'],
  ['small/relu-l1', 'ReLU + L1 d=64 n=256 B=256'],
  ['small/topk-sparsify', 'TopK d=64 n=256 k=5 B=256 vs PyTorch sparsify-style'],
];

/** The package's row a PyTorch key is compared with (the sparsify-style step with the package's TopK). */
function oursKey(key: string): string {
  return key.replace(/topk-sparsify$/, 'topk');
}

/** The floor a key's step is measured against. */
function floorKey(key: string): string {
  return key.startsWith('small/') ? 'small/floor' : 'floor';
}

/** The comparison as a Markdown table, or '' when no row has a compareKey. */
export function formatComparison(rows: BenchRow[]): string {
  const ours = new Map<string, number>();
  const torch = new Map<string, number>();
  for (const r of rows) {
    if (!r.compareKey) continue;
    (r.section === 'pytorch' ? torch : ours).set(r.compareKey, r.fastMs);
  }
  if (ours.size === 0 && torch.size === 0) return '';
  const f = (ms?: number) => (ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
  const lines = [
    '| step | this package ms | x its encoder-matmul floor | PyTorch CPU ms (dense, but the sparsify-style rows) | package / PyTorch |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const [key, label] of ORDER) {
    const a = ours.get(oursKey(key));
    const b = torch.get(key);
    if (a === undefined && b === undefined) continue;
    if (b === undefined && oursKey(key) !== key) continue; // the package's row is already in the table
    const floor = ours.get(floorKey(key));
    const x = a !== undefined && floor !== undefined && key !== 'vae' ? (a / floor).toFixed(2) : '—';
    const ratio = a !== undefined && b !== undefined ? (a / b).toFixed(2) : '—';
    lines.push(`| ${label} | ${f(a)} | ${x} | ${f(b)} | ${ratio} |`);
  }
  if (torch.size === 0) lines.push('', 'PyTorch: not measured (python3 cannot import torch); its columns are empty.');
  return lines.join('\n');
}

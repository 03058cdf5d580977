/**
 * The side-by-side table of `npm run bench`: for each step measured both here and in PyTorch
 * (rows sharing a `compareKey`), the package's time, that time over the package's own floor
 * (one dense encoder matmul [1024,512] x [512,8192], which any SAE step pays), PyTorch's time,
 * and package / PyTorch (below 1: the package is faster).
 */
import type { BenchRow } from '../kernels/bench/harness';

const ORDER: [string, string][] = [
  ['floor', 'encoder matmul [1024,512] x [512,8192]'],
  ['topk', 'TopK'],
  ['matryoshka', 'Matryoshka (every prefix)'],
  ['multi-topk', 'Multi-TopK'],
  ['batch-topk', 'BatchTopK'],
  ['jumprelu', 'JumpReLU'],
  ['relu-l1', 'ReLU + L1'],
  ['vae', 'VAE 784-512-20, B=128'],
];

/** The comparison as a Markdown table, or '' when no row has a compareKey. */
export function formatComparison(rows: BenchRow[]): string {
  const ours = new Map<string, number>();
  const torch = new Map<string, number>();
  for (const r of rows) {
    if (!r.compareKey) continue;
    (r.section === 'pytorch' ? torch : ours).set(r.compareKey, r.fastMs);
  }
  if (ours.size === 0 && torch.size === 0) return '';
  const floor = ours.get('floor');
  const f = (ms?: number) => (ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
  const lines = [
    '| step | this package ms | x its encoder-matmul floor | PyTorch CPU ms (dense) | package / PyTorch |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const [key, label] of ORDER) {
    const a = ours.get(key);
    const b = torch.get(key);
    if (a === undefined && b === undefined) continue;
    const x = a !== undefined && floor !== undefined && key !== 'vae' ? (a / floor).toFixed(2) : '—';
    const ratio = a !== undefined && b !== undefined ? (a / b).toFixed(2) : '—';
    lines.push(`| ${label} | ${f(a)} | ${x} | ${f(b)} | ${ratio} |`);
  }
  if (torch.size === 0) lines.push('', 'PyTorch: not measured (python3 cannot import torch); its columns are empty.');
  return lines.join('\n');
}

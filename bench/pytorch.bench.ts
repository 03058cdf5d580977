/**
 * `npm run bench -- pytorch`: the same steps in PyTorch (bench/pytorch/steps.py, CPU, dense),
 * with the first Python that can import torch (GENSPARSE_PYTHON, python3 on the PATH, then Debian's
 * /usr/bin/python3, where `python3-torch` installs: a pyenv python3 first on the PATH lacks it);
 * otherwise no rows and a one-line note. Rows carry the same
 * `compareKey` as the package's rows (sae, vae), so `npm run bench` prints them side by side.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchRow } from './harness';

const LABELS: Record<string, string> = {
  floor: 'encoder matmul [1024,512] x [512,8192]',
  topk: 'TopK SAE step',
  'multi-topk': 'Multi-TopK SAE step',
  'batch-topk': 'BatchTopK SAE step',
  jumprelu: 'JumpReLU SAE step',
  'relu-l1': 'ReLU + L1 SAE step',
  'topk-sparsify': 'TopK SAE step, sparsify-style (embedding-bag decode, sparse encoder backward)',
  vae: 'VAE step 784-512-20, B=128',
  'small/floor': 'encoder matmul [256,64] x [64,256]',
  'small/topk': 'TopK SAE step d=64 n=256 k=5 B=256',
  'small/multi-topk': 'Multi-TopK SAE step d=64 n=256 k=5 B=256',
  'small/batch-topk': 'BatchTopK SAE step d=64 n=256 k=5 B=256',
  'small/jumprelu': 'JumpReLU SAE step d=64 n=256 B=256',
  'small/relu-l1': 'ReLU + L1 SAE step d=64 n=256 B=256',
  'small/matryoshka': 'Matryoshka (every prefix) SAE step d=64 n=256 k=5 B=256',
  'small/topk-sparsify': 'TopK SAE step d=64 n=256 k=5 B=256, sparsify-style',
};

/** The first of GENSPARSE_PYTHON, python3, /usr/bin/python3 that imports torch, or null. */
function pythonWithTorch(): string | null {
  const candidates = [process.env.GENSPARSE_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (!probe.error && probe.status === 0) return python;
  }
  return null;
}

export default async function (): Promise<BenchRow[]> {
  const threads = Number(process.env.GENSPARSE_TORCH_THREADS ?? os.availableParallelism());
  const script = path.join(__dirname, 'pytorch', 'steps.py');
  const python = pythonWithTorch();
  if (!python) {
    console.error(
      '  PyTorch comparison skipped: no python3 here can import torch (Debian: python3-torch + libopenblas0-pthread)',
    );
    return [];
  }
  const run = spawnSync(python, [script, '--threads', String(threads)], { encoding: 'utf8', timeout: 600_000 });
  if (run.error || run.status !== 0) {
    const why = run.error?.message ?? run.stderr.trim().split('\n').pop() ?? `exit ${run.status}`;
    console.error(`  PyTorch comparison skipped: ${why}`);
    return [];
  }
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
    torch: string;
    threads: number;
    ms: Record<string, number>;
  };
  return Object.entries(result.ms).map(([key, ms]) => ({
    section: 'pytorch',
    name: `${LABELS[key] ?? key} (PyTorch ${result.torch}, CPU${key.endsWith('sparsify') ? '' : ', dense'})`,
    fastMs: ms,
    note: `${result.threads} threads`,
    compareKey: key,
  }));
}

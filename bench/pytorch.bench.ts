/**
 * `npm run bench -- pytorch`: the same steps in PyTorch (bench/pytorch/steps.py, CPU, dense),
 * when python3 can import torch; otherwise no rows and a one-line note. Rows carry the same
 * `compareKey` as the package's rows (sae, vae), so `npm run bench` prints them side by side.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchRow } from './harness';

const LABELS: Record<string, string> = {
  floor: 'encoder matmul [1024,512] x [512,8192]',
  topk: 'TopK SAE step',
  'batch-topk': 'BatchTopK SAE step',
  jumprelu: 'JumpReLU SAE step',
  'relu-l1': 'ReLU + L1 SAE step',
  vae: 'VAE step 784-512-20, B=128',
};

export default async function (): Promise<BenchRow[]> {
  const threads = Number(process.env.GENSPARSE_TORCH_THREADS ?? os.availableParallelism());
  const script = path.join(__dirname, 'pytorch', 'steps.py');
  const run = spawnSync('python3', [script, '--threads', String(threads)], { encoding: 'utf8', timeout: 600_000 });
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
    name: `${LABELS[key] ?? key} (PyTorch ${result.torch}, CPU, dense)`,
    fastMs: ms,
    note: `${result.threads} threads`,
    compareKey: key,
  }));
}

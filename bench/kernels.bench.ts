/**
 * `npm run bench kernels`: the kernel benchmarks (kernels/bench/suite.ts) at the issue's sizes
 * (n = 16384, d = 512, k = 32, B = 1024) on the active backend. `GENSPARSE_BENCH_SIZE=small`
 * runs the quick sizes.
 */
import type { BenchRow } from '../kernels/bench/harness';
import { runKernelBenchmarks } from '../kernels/bench/suite';

export default async function (): Promise<BenchRow[]> {
  const size = process.env.GENSPARSE_BENCH_SIZE === 'small' ? 'small' : 'full';
  return runKernelBenchmarks({
    size,
    onRow: (r) =>
      console.error(
        `  ${r.name}: ${r.fastMs.toFixed(1)} ms${r.referenceMs !== undefined ? ` (reference ${r.referenceMs.toFixed(1)} ms)` : ''}`,
      ),
  });
}

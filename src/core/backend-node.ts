/**
 * The Node backend loader: node-gpu, node, wasm, cpu (see `backend.ts`).
 * tfjs-node and tfjs-node-gpu are optional dependencies: their install script downloads
 * libtensorflow, which fails where that host is unreachable, and npm then skips them.
 */
import * as tf from '@tensorflow/tfjs';
import { type BackendCandidate, type BackendReport, switchBackend, selectBackend } from './backend';
import { installFastWasmMatMul } from './wasm-matmul';

export const NODE_BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;

/** The default Node candidates, fastest first. */
export function nodeCandidates(): BackendCandidate[] {
  return [
    { name: 'node-gpu', load: () => loadTfjsNode('@tensorflow/tfjs-node-gpu') },
    { name: 'node', load: () => loadTfjsNode('@tensorflow/tfjs-node') },
    {
      name: 'wasm',
      async load() {
        // The .wasm binaries ship inside the npm package; in Node tfjs finds them next to its own file.
        require('@tensorflow/tfjs-backend-wasm');
        await switchBackend('wasm');
        installFastWasmMatMul();
      },
    },
    { name: 'cpu', load: () => switchBackend('cpu') },
  ];
}

async function loadTfjsNode(pkg: string): Promise<void> {
  // tfjs-node registers its backend with the tfjs-core it resolves; it must be ours.
  const before = tf.engine().registryFactory.tensorflow;
  require(pkg);
  if (!tf.engine().registryFactory.tensorflow && !before)
    throw new Error(`${pkg} loaded but registered no 'tensorflow' backend with this tfjs-core`);
  await switchBackend('tensorflow');
}

let current: { key: string; report: BackendReport } | null = null;

/**
 * Chooses the Node backend. Order: `options.backend`, then `GENSPARSE_BACKEND`, then the
 * fastest that loads. A second call with the same choice returns the same report while that
 * backend is still active. `options.candidates` replaces the list (tests inject failures).
 */
export async function initBackend(
  options: { backend?: string; candidates?: BackendCandidate[] } = {},
): Promise<BackendReport> {
  const force = options.backend ?? process.env.GENSPARSE_BACKEND ?? '';
  const key = options.candidates ? '' : force;
  if (current && key && current.key === key && tf.getBackend() === current.report.tfName) return current.report;
  const report = await selectBackend(options.candidates ?? nodeCandidates(), force || undefined);
  if (report.name === 'wasm') report.details.push('transposed matmuls via XNNPACK');
  current = options.candidates ? null : { key: force || report.name, report };
  return report;
}

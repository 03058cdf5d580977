/**
 * The Node backend loader: node-gpu, node, wasm, cpu (see `backend.ts`).
 * tfjs-node and tfjs-node-gpu are optional dependencies: their install script downloads
 * libtensorflow, which fails where that host is unreachable, and npm then skips them.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendCandidate, BackendReport, activate, selectBackend } from './backend';
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
        await activate('wasm');
        installFastWasmMatMul();
      },
    },
    { name: 'cpu', load: () => activate('cpu') },
  ];
}

async function loadTfjsNode(pkg: string): Promise<void> {
  // tfjs-node registers its backend with the tfjs-core it resolves; it must be ours.
  const before = tf.engine().registryFactory.tensorflow;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(pkg);
  if (!tf.engine().registryFactory.tensorflow && !before) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend with this tfjs-core`);
  await activate('tensorflow');
}

let current: Promise<BackendReport> | null = null;
let currentKey = '';

/**
 * Chooses the Node backend once per process (later calls return the same report unless
 * another backend is asked for). Order: `options.backend`, then `GENSPARSE_BACKEND`, then
 * the fastest that loads. `options.candidates` replaces the list (tests inject failures).
 */
export function initBackend(options: { backend?: string; candidates?: BackendCandidate[] } = {}): Promise<BackendReport> {
  const force = options.backend ?? process.env.GENSPARSE_BACKEND ?? '';
  const key = `${force}|${options.candidates ? 'custom' : 'default'}`;
  if (!current || key !== currentKey || options.candidates) {
    currentKey = key;
    current = selectBackend(options.candidates ?? nodeCandidates(), force || undefined).then((report) => {
      if (report.name === 'wasm') report.details.push(`${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'simd' : 'no simd'}`, 'transposed matmuls via XNNPACK');
      return report;
    });
  }
  return current;
}

/**
 * The Node backend loader: node-gpu, node, wasm, cpu (see `backend.ts`).
 * tfjs-node and tfjs-node-gpu are optional dependencies: their install script downloads
 * libtensorflow, which fails where that host is unreachable, and npm then skips them.
 *
 * Two ways in:
 * - `await initBackend()`: the fastest that loads, wasm with `os.availableParallelism()` threads
 *   (`wasmThreads` or `GENSPARSE_WASM_THREADS` to change it).
 * - Nothing at all: importing this module makes a synchronous single-threaded wasm tfjs's default
 *   backend (`registerLazyWasm`), so a script that never calls `initBackend()` does not silently
 *   run on tfjs's plain-JS `cpu` backend (an order of magnitude slower). Its first tensor starts wasm and one
 *   line on stderr says so; if wasm cannot start, one line says why and that cpu is slow.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { type BackendCandidate, type BackendReport, oneLine, selectBackend, switchBackend } from './backend';
import { ConfigError } from '../base/errors';
import { installFastWasmMatMul } from '../../kernels/wasm-patches/matmul';
import { installSharedWasmIdentity } from '../../kernels/wasm-patches/identity';
import { WASM_MAX_THREADS, createWasmSync, newWasmBackend, startWasmSync, startWasmThreaded } from './wasm-node';

export const NODE_BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;

export interface InitBackendOptions {
  /** Force one backend (else `GENSPARSE_BACKEND`, else the fastest that loads). */
  backend?: string;
  /** wasm threads (else `GENSPARSE_WASM_THREADS`, else `os.availableParallelism()`), at most 8. */
  wasmThreads?: number;
  /** Replaces the candidate list (tests inject failures). */
  candidates?: BackendCandidate[];
}

/** What the wasm backend runs as, once started in this process ('SIMD, 2 threads'); null before. */
let wasmStarted: { detail: string; threads: number } | null = null;

/**
 * The wasm thread count: the option, else `GENSPARSE_WASM_THREADS`, else every core
 * (`os.availableParallelism()`), capped at tfjs's 8. Bad values are a ConfigError.
 */
export function wasmThreadCount(option?: number): { threads: number; note?: string } {
  const env = process.env.GENSPARSE_WASM_THREADS;
  const [name, raw] =
    option !== undefined
      ? ['wasmThreads', option]
      : env !== undefined && env !== ''
        ? ['GENSPARSE_WASM_THREADS', Number(env)]
        : ['', os.availableParallelism()];
  if (!Number.isInteger(raw) || raw < 1)
    throw new ConfigError(name, `must be an integer in [1, ${WASM_MAX_THREADS}], got ${option ?? env}`);
  if (raw > WASM_MAX_THREADS) return { threads: WASM_MAX_THREADS, note: `${raw} asked, tfjs's build uses at most 8` };
  return { threads: raw };
}

/** Starts wasm with `threads` threads (one thread if the threaded build fails, saying why). */
async function startWasm(threads: number): Promise<string> {
  if (wasmStarted) {
    // tfjs's wasm module cannot be restarted with another pool in one process.
    await switchBackend('wasm');
    if (threads !== wasmStarted.threads && tf.getBackend() === 'wasm' && engineHasWasm())
      return `${wasmStarted.detail}; already started, ${threads} threads asked`;
    return wasmStarted.detail;
  }
  let detail: string;
  if (threads > 1) {
    try {
      detail = await startWasmThreaded(threads);
    } catch (e) {
      detail = `${startWasmSync()}; threaded build failed: ${oneLine(e)}`;
      threads = 1;
    }
  } else {
    detail = startWasmSync();
  }
  installFastWasmMatMul();
  installSharedWasmIdentity();
  wasmStarted = { detail, threads };
  return detail;
}

function engineHasWasm(): boolean {
  return tf.engine().registry.wasm !== undefined;
}

/** The default Node candidates, fastest first. */
export function nodeCandidates(options: { wasmThreads?: number } = {}): BackendCandidate[] {
  return [
    { name: 'node-gpu', load: () => loadTfjsNode('@tensorflow/tfjs-node-gpu') },
    { name: 'node', load: () => loadTfjsNode('@tensorflow/tfjs-node') },
    {
      name: 'wasm',
      async load() {
        const { threads, note } = wasmThreadCount(options.wasmThreads);
        const detail = await startWasm(threads);
        return [detail + (note ? ` (${note})` : ''), 'transposed matmuls via XNNPACK'];
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
 * backend is still active.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  const force = options.backend ?? process.env.GENSPARSE_BACKEND ?? '';
  const key = options.candidates ? '' : force;
  if (current && key && current.key === key && tf.getBackend() === current.report.tfName) return current.report;
  const report = await selectBackend(options.candidates ?? nodeCandidates(options), force || undefined);
  current = options.candidates ? null : { key: force || report.name, report };
  return report;
}

let lazyRegistered = false;

/**
 * Makes a synchronously started, single-threaded wasm tfjs's default backend for scripts that
 * never call `initBackend()` (tfjs picks its highest-priority registered backend on the first
 * tensor; without this that is `cpu`). Idempotent; `initBackend()` replaces it while it is unused.
 * Reports its choice once on stderr; `GENSPARSE_BACKEND` set to anything else turns it off.
 */
export function registerLazyWasm(): void {
  const forced = process.env.GENSPARSE_BACKEND;
  if (lazyRegistered || (forced && forced !== 'wasm')) return;
  lazyRegistered = true;
  try {
    require('@tensorflow/tfjs-backend-wasm'); // its kernels; its own factory is async, so tfjs would skip it
  } catch (e) {
    process.emitWarning(`gensparse: wasm is not available (${oneLine(e)}); tfjs runs on its slow cpu backend`);
    return;
  }
  const priority = (tf.engine().registryFactory.wasm?.priority ?? 2) + 1;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    () => {
      let started: ReturnType<typeof createWasmSync>;
      try {
        started = createWasmSync();
      } catch (e) {
        console.error(
          `gensparse: wasm failed to start (${oneLine(e)}); falling back to tfjs's cpu backend, 12-29x slower`,
        );
        throw e;
      }
      const backend = newWasmBackend(started.module, 1);
      const detail = started.label;
      installFastWasmMatMul();
      installSharedWasmIdentity();
      wasmStarted = { detail, threads: 1 };
      const threads = os.availableParallelism();
      const more = threads > 1 ? `; await initBackend() first for ${Math.min(threads, WASM_MAX_THREADS)} threads` : '';
      console.error(`gensparse: backend wasm (${detail})${more}`);
      return backend;
    },
    priority,
  );
}

/**
 * tfjs's wasm backend in Node, built from the emscripten modules that ship in
 * `@tensorflow/tfjs-backend-wasm/wasm-out/` instead of through the package's own `init()`:
 *
 * - **Threads.** The package ships a threaded SIMD build, but in Node its
 *   `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to false (tfjs issue #3830), and forcing it
 *   fails: `init()` hands emscripten a `blob:` URL for the pthread worker script and a `Blob` for the
 *   main script, which Node's `Worker` refuses (`ERR_WORKER_PATH`). Here the worker is a `data:` URL
 *   wrapped in `new URL(...)` (which Node accepts) that runs the shipped worker source with a real
 *   `require`, and the main script is the shipped `.js` file's path, which the worker reads itself.
 * - **Synchronous start.** A single-threaded module can be instantiated synchronously in Node
 *   (`new WebAssembly.Module`), so a model constructor can bring up wasm without an `await`
 *   (`ensureBackend()` in `backend-node.ts`).
 *
 * Either way the result is tfjs's own `BackendWasm` over the same `.wasm` binaries, registered as
 * 'wasm', so every wasm kernel (tfjs's and ours) runs on it unchanged. Nothing in node_modules is edited.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** The emscripten module as tfjs's `BackendWasm` expects it (the part we touch). */
export interface WasmModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, (...a: number[]) => number>;
  PThread?: { runningWorkers: { unref(): void }[] };
}
type Factory = (config: Record<string, unknown>) => Promise<WasmModule>;

/** tfjs-backend-wasm's Node entry (registers its kernels for 'wasm'); `require`d lazily so the browser bundle never sees it. */
function wasmPackage(): {
  BackendWasm: new (module: WasmModule) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
} {
  return require('@tensorflow/tfjs-backend-wasm');
}

/** `.../tfjs-backend-wasm/wasm-out/`: the emscripten factories, worker source and binaries. */
function wasmOutDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
}

/**
 * Runs an emscripten factory, then removes the process-wide `uncaughtException` /
 * `unhandledRejection` handlers it installs (they rethrow, which would change how the user's
 * own errors end the process; tfjs's bundle strips them the same way).
 */
function runFactory(factory: Factory, config: Record<string, unknown>): Promise<WasmModule> {
  const exceptions = process.listeners('uncaughtException');
  const rejections = process.listeners('unhandledRejection');
  try {
    return factory(config);
  } finally {
    for (const l of process.listeners('uncaughtException'))
      if (!exceptions.includes(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection'))
      if (!rejections.includes(l)) process.removeListener('unhandledRejection', l);
  }
}

/** The C entry points tfjs's `init()` wraps (tfjs-backend-wasm/src/backend_wasm.ts), on `module.tfjs`. */
function addTfjsBindings(module: WasmModule): WasmModule {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/** tfjs's own `BackendWasm` over `module`, with an XNNPACK pool of `threads` threads. */
export function newWasmBackend(module: WasmModule, threads: number): tf.KernelBackend {
  const pkg = wasmPackage();
  pkg.setThreadsCount(threads);
  return new pkg.BackendWasm(module);
}

/**
 * Makes `module` tfjs's 'wasm' backend and activates it. The registered factory (tfjs's async
 * one, or the lazy one of `backend-node.ts`) is replaced; the kernels registered for 'wasm' stay.
 */
function activate(module: WasmModule, threads: number): void {
  const engine = tf.engine();
  const priority = engine.registryFactory.wasm?.priority ?? 2;
  if (engine.registry.wasm || engine.registryFactory.wasm) tf.removeBackend('wasm');
  const backend = newWasmBackend(module, threads);
  tf.registerBackend('wasm', () => backend, priority);
  // A synchronous factory: setBackend finishes before its promise is returned.
  void tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error('the wasm backend did not initialise');
}

/** Single-threaded wasm started synchronously and made tfjs's active backend; returns what loaded. */
export function startWasmSync(): string {
  const { module, label } = createWasmSync();
  activate(module, 1);
  return label;
}

/**
 * A single-threaded SIMD wasm module, instantiated synchronously (the non-SIMD binary if SIMD
 * fails); `label` says which, for the backend report.
 */
export function createWasmSync(): { module: WasmModule; label: string } {
  wasmPackage(); // registers the kernels
  const dir = wasmOutDir();
  const factory: Factory = require(path.join(dir, 'tfjs-backend-wasm-simd.js'));
  let lastError: unknown;
  for (const [binary, label] of [
    ['tfjs-backend-wasm-simd.wasm', 'SIMD'],
    ['tfjs-backend-wasm.wasm', 'no SIMD'],
  ]) {
    try {
      const bytes = fs.readFileSync(path.join(dir, binary));
      // emscripten mutates and returns the config object; with a synchronous instantiateWasm
      // the whole start-up (run()) happens inside the factory call.
      const config: Record<string, unknown> = {
        instantiateWasm(
          imports: WebAssembly.Imports,
          receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void,
        ) {
          const compiled = new WebAssembly.Module(bytes);
          const instance = new WebAssembly.Instance(compiled, imports);
          receive(instance, compiled);
          return instance.exports;
        },
      };
      // tfjs's post-run hook looks the module up under this global name (its bundle renames it).
      const g = globalThis as { WasmBackendModule?: unknown };
      g.WasmBackendModule = config;
      try {
        void runFactory(factory, config);
      } finally {
        delete g.WasmBackendModule;
      }
      if (!config.calledRun) throw new Error(`${binary} did not start synchronously`);
      return { module: addTfjsBindings(config as unknown as WasmModule), label: `${label}, 1 thread` };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** tfjs's C side uses at most this many threads (`max_num_threads` in tfjs-backend-wasm's backend.cc). */
export const WASM_MAX_THREADS = 8;

/**
 * Threaded SIMD wasm with `threads` threads (XNNPACK's pool: the calling thread plus
 * `threads - 1` pthreads, each a Node worker from emscripten's prebuilt pool of 8). Throws, with
 * the reason, where the build cannot run here; the caller falls back to one thread.
 */
export async function startWasmThreaded(threads: number): Promise<string> {
  if (!Number.isInteger(threads) || threads < 2 || threads > WASM_MAX_THREADS)
    throw new Error(`threads must be an integer in [2, ${WASM_MAX_THREADS}], got ${threads}`);
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('no SharedArrayBuffer in this Node');
  wasmPackage();
  const dir = wasmOutDir();
  const mainScript = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerScript = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  const binary = path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm');
  for (const f of [mainScript, workerScript, binary])
    if (!fs.existsSync(f)) throw new Error(`the threaded build is missing ${path.basename(f)}`);
  // The shipped worker file exports its source as a string (tfjs turns it into a Blob). The
  // source's string literals contain "\n" escapes that the template literal turned into real
  // newlines; tfjs escapes them back before use, and so do we.
  const workerSource = [
    `import { createRequire } from 'node:module';`,
    `const require = createRequire(${JSON.stringify(workerScript)});`,
    `const source = require(${JSON.stringify(workerScript)}).wasmWorkerContents.replaceAll('\\n', '\\\\n');`,
    `new Function('require', '__filename', source)(require, ${JSON.stringify(mainScript)});`,
  ].join('\n');
  const workerUrl = new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`);
  const factory: Factory = require(mainScript);
  const bytes = fs.readFileSync(binary);
  const config = {
    locateFile: (file: string) => (file.endsWith('.worker.js') ? workerUrl : path.join(dir, file)),
    mainScriptUrlOrBlob: mainScript,
    instantiateWasm(
      imports: { env: Record<string, unknown> },
      receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void,
    ): object {
      // tfjs's C side caps its pool at emscripten_num_logical_cores() / 2 (it assumes two
      // hyperthreads per core; in Node that is os.cpus().length / 2, one thread on a 2-core
      // machine). Report twice the wanted count so that the cap lets `threads` through.
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssembly.instantiate(bytes, imports as WebAssembly.Imports).then(
        ({ instance, module }) => receive(instance, module),
        (e) => reject(e),
      );
      return {};
    },
  };
  let reject: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, r) => {
    reject = r;
  });
  const module = await Promise.race([runFactory(factory, config), failed]);
  activate(addTfjsBindings(module), threads);
  // The pool's threads never exit; they must not keep the process alive once the script is done.
  for (const w of module.PThread?.runningWorkers ?? []) w.unref();
  const actual = wasmPackage().getThreadsCount();
  if (actual !== threads) throw new Error(`asked XNNPACK for ${threads} threads, got ${actual}`);
  return `SIMD, ${threads} threads`;
}

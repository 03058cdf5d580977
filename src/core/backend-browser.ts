/**
 * The browser backend loader: webgpu, webgl, wasm, cpu, fastest first (see `backend.ts`).
 * A page forces one with `?backend=<name>`.
 *
 * - webgpu: needs an adapter (`navigator.gpu.requestAdapter()`); its vendor and architecture
 *   are reported. Never read a WebGPU tensor with `dataSync()` (it returns zeros and breaks
 *   the device in Chromium): read with `await t.data()`.
 * - wasm: the .wasm binaries are served by the site itself; `setWasmPaths` must be called
 *   before `setBackend('wasm')`. On a cross-origin-isolated page tfjs picks the threaded
 *   SIMD binary (navigator.hardwareConcurrency / 2 threads).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type BackendCandidate, type BackendReport, switchBackend, selectBackend } from './backend';
import { installFastWasmMatMul } from './wasm-matmul';
import { installSharedWasmIdentity } from './wasm-identity';

// Defined beside the backend report (no backend imports), so a page can check `?backend=` cheaply.
export { BROWSER_BACKENDS } from './backend';

/** The part of `navigator.gpu` we use (kept local so the DOM types need no WebGPU lib). */
interface GpuLike {
  requestAdapter(): Promise<{
    info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  } | null>;
}

export interface BrowserBackendOptions {
  /** Force one backend ('' or undefined: the first that loads). */
  backend?: string;
  /** URL prefix of the tfjs .wasm files (ending in '/'). */
  wasmPath?: string;
}

/** A one-line description of the WebGPU adapter, or null when there is none. */
export async function webgpuAdapterInfo(): Promise<string | null> {
  const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s);
  return parts.length ? parts.join(' ') : 'unnamed adapter';
}

/**
 * Software renderers: a GPU backend on one of these is far slower than wasm (measured here:
 * matmul at 0.3-3.6 GFLOP/s on SwiftShader against ~20 on wasm).
 */
export const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|basic render|software/i;

/** WebGL's unmasked renderer string ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))"), or null. */
export function webglRenderer(): string | null {
  // A page has a document; a Web Worker has OffscreenCanvas.
  const canvas =
    typeof document !== 'undefined'
      ? document.createElement('canvas')
      : typeof OffscreenCanvas !== 'undefined'
        ? new OffscreenCanvas(1, 1)
        : null;
  const gl = canvas?.getContext('webgl2') as WebGL2RenderingContext | null;
  if (!gl) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return renderer;
}

/**
 * The browser candidates; `wasmPath` is where the site serves tfjs's .wasm files. Unless
 * `allowSoftware`, a GPU backend on a software renderer refuses to load, saying so, and the
 * choice falls through to wasm.
 */
export function browserCandidates(wasmPath: string, allowSoftware = false): BackendCandidate[] {
  return [
    {
      name: 'webgpu',
      async load() {
        const info = await webgpuAdapterInfo();
        if (!info) throw new Error('no WebGPU adapter (navigator.gpu missing or requestAdapter() gave null)');
        if (!allowSoftware && SOFTWARE_RENDERER.test(info))
          throw new Error(`software adapter (${info}), slower than wasm`);
        await switchBackend('webgpu');
      },
    },
    {
      name: 'webgl',
      async load() {
        const renderer = webglRenderer();
        if (!allowSoftware && renderer && SOFTWARE_RENDERER.test(renderer))
          throw new Error(`software renderer (${renderer.match(SOFTWARE_RENDERER)?.[0]}), slower than wasm`);
        await switchBackend('webgl');
      },
    },
    {
      name: 'wasm',
      async load() {
        setWasmPaths(wasmPath);
        await switchBackend('wasm');
        installFastWasmMatMul();
        installSharedWasmIdentity();
      },
    },
    { name: 'cpu', load: () => switchBackend('cpu') },
  ];
}

/** Why the chosen backend was chosen, in one line for the page's badge. */
export function backendReason(report: BackendReport, forced: string): string {
  if (forced) return `forced by ?backend=${forced}`;
  if (report.skipped.length === 0) return 'the fastest that loads here';
  return `skipped ${report.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`;
}

/**
 * Chooses and activates the browser backend, and says what it is: the WebGPU adapter, the
 * WebGL version, or whether wasm runs threaded with SIMD.
 */
export async function initBrowserBackend(options: BrowserBackendOptions = {}): Promise<BackendReport> {
  // A forced backend loads even on a software renderer (the tests check correctness there).
  const report = await selectBackend(
    browserCandidates(options.wasmPath ?? '/assets/build/wasm/', Boolean(options.backend)),
    options.backend || undefined,
  );
  if (report.name === 'webgpu') {
    report.details.push(`adapter: ${(await webgpuAdapterInfo()) ?? 'unknown'}`);
  } else if (report.name === 'webgl') {
    report.details.push(`WebGL ${tf.env().getNumber('WEBGL_VERSION')}`);
  } else if (report.name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    report.details.push(simd ? 'simd' : 'no simd', threads ? 'threads' : 'single thread');
  }
  return report;
}

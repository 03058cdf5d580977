import { initBackend } from '../../src/core/backend-node';

beforeAll(async () => {
  // One thread: every test file starts its own wasm module, and a threaded one keeps 8 workers
  // alive in the jest process. tests/core/wasm-threads.test.ts covers the threaded build.
  await initBackend({ backend: 'wasm', wasmThreads: 1 });
});

/** Node-only parts of the core: the Node backend loader, the terminal progress bar, checkpoint files. */
import { registerLazyWasm } from './backend-node';

export { initBackend, nodeCandidates, wasmThreadCount, NODE_BACKENDS } from './backend-node';
export type { InitBackendOptions } from './backend-node';
export { progressBar, formatNumber, formatDuration } from './progress';
export type { ProgressOptions } from './progress';
export {
  writeFileAtomic,
  saveSafetensors,
  loadSafetensors,
  saveCheckpoint,
  loadCheckpoint,
  readJsonObject,
  readSafetensorsHeader,
  readSafetensorsTensors,
  safetensorsBytes,
  statFile,
  writeFolderAtomic,
  recoverFolder,
} from './checkpoint';
export type { Checkpoint, LoadOptions } from './checkpoint';

// Importing the package in Node makes wasm tfjs's default backend (started on the first tensor),
// so a script that never calls `initBackend()` does not silently run on the slow `cpu` backend.
registerLazyWasm();

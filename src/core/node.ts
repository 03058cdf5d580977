/** Node-only parts of the core: the Node backend loader, the terminal progress bar, checkpoint files. */
export { initBackend, nodeCandidates, NODE_BACKENDS } from './backend-node';
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
  statFile,
} from './checkpoint';
export type { Checkpoint, LoadOptions } from './checkpoint';

/** Node-only parts of the core: the Node backend loader, the terminal progress bar, checkpoint files. */
export { initBackend, nodeCandidates, NODE_BACKENDS } from './backend-node';
export { progressBar, formatNumber, formatDuration } from './progress';
export type { ProgressOptions } from './progress';
export { writeFileAtomic, saveSafetensors, loadSafetensors, saveCheckpoint, loadCheckpoint } from './checkpoint';
export type { Checkpoint } from './checkpoint';

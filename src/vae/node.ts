/** Node-only parts of the VAE area. */
/** MNIST as a VAE dataset [n, 784] (reads IDX files from disk). */
export { mnistDataset } from './mnist';
/** Save and load a trained VAE as a checkpoint folder (safetensors + config.json). */
export { saveVae, loadVae } from './checkpoint';
export type { VaeCheckpointConfig } from './checkpoint';

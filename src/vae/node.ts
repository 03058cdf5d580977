/** Node-only parts of the VAE area. */
/** MNIST as a VAE dataset [n, 784] (reads IDX files from disk). */
export { mnistDataset } from './mnist';

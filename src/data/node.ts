/** Node-only data modules (files on disk). */
export * from './lm/node';

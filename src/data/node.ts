/** Node-only parts of data. */
export {};

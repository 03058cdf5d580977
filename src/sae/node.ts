/** Node-only parts of sae. */
export {};

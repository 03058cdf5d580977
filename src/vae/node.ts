/** Node-only parts of vae. */
export {};

/** Node-only parts of analysis. */
export {};

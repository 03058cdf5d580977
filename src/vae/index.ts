/** (filled in by the vae modules) */
export {};

/** (filled in by the sae modules) */
export {};

/** (filled in by the analysis modules) */
export {};

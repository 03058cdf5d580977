/** (filled in by the data modules) */
export {};

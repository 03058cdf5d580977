/** (filled in by the language-model data modules) */
export {};

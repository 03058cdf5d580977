/** Node-only parts of the language-model data modules. */
export {};

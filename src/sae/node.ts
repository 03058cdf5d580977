/** Node-only parts of the SAE area: SAELens-format files. */
/** Save / load an SAE as SAELens v6 does (cfg.json + sae_weights.safetensors). */
export { saveSaeLens, loadSaeLens, saeLensArchitecture } from './saelens';
/** SAELens' free-form metadata record. */
export type { SaeLensMetadata } from './saelens';

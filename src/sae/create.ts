/**
 * One entry point for the whole family: `createSae(config)` builds the architecture that
 * `config.architecture` names (looked up in the registry), so trainers, lessons and the SAELens
 * loader treat them alike. Typed by architecture: `createSae({architecture: 'topk', ...}).k` type-checks.
 */
import { ConfigError } from '../base/errors';
import { saeArchitecture, saeLensOnlyNames } from './architectures';
import type { SparseAutoencoder } from './base';
import type { ResolvedCommonConfig } from './config';
import type { SaeArchitecture, SaeConfig, SaeConfigOf, SaeOf } from './registry';
import { saeLensFieldNames } from './saelens-config';

export type { SaeArchitecture, SaeConfig } from './registry';

/**
 * The registered architecture `config` names; a ConfigError for anything else, pointing SAELens
 * architecture and field names to the converter (the entry's resolver checks the other keys).
 */
function checkedEntry(config: unknown) {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError(
      'config',
      `must be an object like {architecture: 'topk', dIn, nLatents, k}, got ${String(config)}`,
    );
  }
  const name = (config as { architecture?: unknown }).architecture;
  const saeLensFields = saeLensFieldNames();
  const saeLensKeys = Object.keys(config).filter((k) => k in saeLensFields);
  const saeLensNames = saeLensOnlyNames();
  if ((typeof name === 'string' && name in saeLensNames) || (name === undefined && saeLensKeys.length > 0)) {
    throw new ConfigError(
      'architecture',
      `${name === undefined ? `missing, and ${saeLensKeys.join(', ')} are SAELens field names` : `'${name}' is an SAELens architecture name (ours: '${saeLensNames[String(name)]}')`}; ` +
        'convert an SAELens config with saeConfigFromSaeLens(cfg) from src/sae/saelens-config.ts',
    );
  }
  const entry = saeArchitecture(name);
  if (saeLensKeys.length > 0) {
    const key = saeLensKeys[0];
    throw new ConfigError(
      key,
      `is an SAELens field name (ours: ${saeLensFields[key]}); convert an SAELens config with ` +
        'saeConfigFromSaeLens(cfg) from src/sae/saelens-config.ts',
    );
  }
  return entry;
}

/** Builds the SAE that `config.architecture` names; unknown names throw a ConfigError listing the known ones. */
export function createSae<A extends SaeArchitecture>(config: SaeConfigOf<A> & { architecture: A }): SaeOf<A> {
  return checkedEntry(config).create(config as SaeConfig) as SaeOf<A>;
}

/** The config with every default filled in and checked (a ConfigError naming the field), allocating nothing. */
export function resolveSaeConfig(config: SaeConfig): ResolvedCommonConfig & { architecture: SaeArchitecture } {
  return checkedEntry(config).resolve(config) as ResolvedCommonConfig & { architecture: SaeArchitecture };
}

/** The config an SAE was built from, every default filled in (to save it beside the weights and rebuild it). */
export function saeConfigOf(sae: SparseAutoencoder): SaeConfig {
  return { ...sae.config } as SaeConfig;
}

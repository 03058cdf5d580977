/**
 * One entry point for the whole family: `createSae(config)` builds the architecture that
 * `config.architecture` names, so trainers, lessons and the SAELens loader treat them alike.
 * Overloaded by architecture: `createSae({architecture: 'topk', ...}).k` type-checks.
 */
import { ConfigError } from '../core/errors';
import type { SparseAutoencoder } from './base';
import { SAELENS_FIELDS, SAE_ARCHITECTURES } from './config';
import { SAELENS_ARCHITECTURES } from './saelens-config';
import { type BatchTopKConfig, BatchTopKSae } from './batch-topk';
import { type JumpReluConfig, JumpReluSae } from './jumprelu';
import { type MatryoshkaConfig, MatryoshkaSae } from './matryoshka';
import { type MatryoshkaBatchTopKConfig, MatryoshkaBatchTopKSae } from './matryoshka-batch-topk';
import { type ReluL1Config, ReluL1Sae } from './relu-l1';
import { type TopKConfig, TopKSae } from './topk';

/** The config of any SAE of the family; `architecture` picks the model. */
export type SaeConfig =
  | ReluL1Config
  | TopKConfig
  | BatchTopKConfig
  | JumpReluConfig
  | MatryoshkaConfig
  | MatryoshkaBatchTopKConfig;

/** Builds the SAE that `config.architecture` names; unknown names throw a ConfigError listing the known ones. */
export function createSae(config: ReluL1Config): ReluL1Sae;
export function createSae(config: TopKConfig): TopKSae;
export function createSae(config: BatchTopKConfig): BatchTopKSae;
export function createSae(config: JumpReluConfig): JumpReluSae;
export function createSae(config: MatryoshkaConfig): MatryoshkaSae;
export function createSae(config: MatryoshkaBatchTopKConfig): MatryoshkaBatchTopKSae;
export function createSae(config: SaeConfig): SparseAutoencoder;
export function createSae(config: SaeConfig): SparseAutoencoder {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError(
      'config',
      `must be an object like {architecture: 'topk', dIn, nLatents, k}, got ${String(config)}`,
    );
  }
  const name = (config as { architecture?: unknown }).architecture;
  const saeLensKeys = Object.keys(config).filter((k) => k in SAELENS_FIELDS);
  if ((typeof name === 'string' && name in SAELENS_ARCHITECTURES) || (name === undefined && saeLensKeys.length > 0)) {
    throw new ConfigError(
      'architecture',
      `${name === undefined ? `missing, and ${saeLensKeys.join(', ')} are SAELens field names` : `'${name}' is an SAELens architecture name (ours: '${SAELENS_ARCHITECTURES[String(name)]}')`}; ` +
        'convert an SAELens config with saeConfigFromSaeLens(cfg) from src/sae/saelens-config.ts',
    );
  }
  switch (config.architecture) {
    case 'relu-l1':
      return new ReluL1Sae(config);
    case 'topk':
      return new TopKSae(config);
    case 'batch-topk':
      return new BatchTopKSae(config);
    case 'jumprelu':
      return new JumpReluSae(config);
    case 'matryoshka':
      return new MatryoshkaSae(config);
    case 'matryoshka-batch-topk':
      return new MatryoshkaBatchTopKSae(config);
    default: {
      throw new ConfigError(
        'architecture',
        `must be one of ${SAE_ARCHITECTURES.map((a) => `'${a}'`).join(', ')}, got '${String(name)}'`,
      );
    }
  }
}

/** The config an SAE was built from, every default filled in (to save it beside the weights and rebuild it). */
export function saeConfigOf(sae: SparseAutoencoder): SaeConfig {
  return { ...sae.config } as SaeConfig;
}

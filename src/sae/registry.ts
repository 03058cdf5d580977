/**
 * The architecture registry (the shape of SAELens v6's `register_sae_class`): each architecture
 * file registers, beside its class, everything the rest of the package needs to know about it:
 * its name, config resolver, constructor, how it is saved and read in SAELens' layout, and which
 * `gensparse train` flags it reads. `createSae`, the SAELens reader and writer, the SAELens config
 * converter and the CLI look architectures up here; none of them lists architectures.
 *
 * Registration happens when an architecture file is imported. `architectures.ts` imports every
 * one and is the only place that lists them; the lookups are exported from there, so whoever can
 * look an architecture up has already registered them all. A new architecture is one file (its
 * class, a `registerSaeArchitecture` call and its line in `SaeArchitectureTypes`) plus one import
 * line in `architectures.ts`.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../base/errors';
import type { SparseAutoencoder } from './base';
import type { ResolvedCommonConfig, SaeCommonConfig } from './config';

/**
 * Architecture name -> its config and class. Empty here: each architecture file adds its line
 * (TypeScript declaration merging), e.g.
 *   declare module './registry' { interface SaeArchitectureTypes { topk: { config: TopKConfig; sae: TopKSae } } }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by each architecture file (declaration merging)
export interface SaeArchitectureTypes {}

/** The name of a registered architecture ('relu-l1', 'topk', ...). */
export type SaeArchitecture = keyof SaeArchitectureTypes & string;
/** The config of architecture A (of any architecture when A is the whole union). */
export type SaeConfigOf<A extends SaeArchitecture> = SaeArchitectureTypes[A] extends { config: infer C } ? C : never;
/** The class of architecture A. */
export type SaeOf<A extends SaeArchitecture> = SaeArchitectureTypes[A] extends { sae: infer S } ? S : never;
/** The config of any SAE of the family; `architecture` picks the model. */
export type SaeConfig = SaeConfigOf<SaeArchitecture>;

/** The common fields an SAELens cfg.json gives every architecture (already checked by the reader). */
export interface SaeLensCommonFields {
  dIn: number;
  nLatents: number;
  applyBDecToInput: boolean;
}

/** The tensors every SAELens folder holds: W_enc [D,N], W_dec [N,D], b_enc [N], b_dec [D]. */
export function standardWeightShapes(dIn: number, nLatents: number): Record<string, number[]> {
  return { W_enc: [dIn, nLatents], W_dec: [nLatents, dIn], b_enc: [nLatents], b_dec: [dIn] };
}

/** How an architecture maps to SAELens v6 (sae_lens/saes/*.py): its folder and its training config. */
export interface SaeLensHooks<C, S> {
  /** cfg.json's `architecture` the SAE is saved under ('standard', 'topk', 'jumprelu', 'gated', ...). */
  architecture: string;
  /**
   * Our config for a folder of `architecture` without our own config block (cfg.json "gensparse"),
   * for the one architecture that reads such folders (at most one per SAELens name).
   * `cfg` is the whole cfg.json, `file` its path (for error messages).
   */
  readFolder?(cfg: Record<string, unknown>, common: SaeLensCommonFields, file: string): C;
  /** cfg.json fields beyond the common ones (TopK's `k`). */
  cfgFields?(sae: S): Record<string, unknown>;
  /** The tensors of sae_weights.safetensors and their shapes. Default `standardWeightShapes`. */
  weightShapes?(dIn: number, nLatents: number): Record<string, number[]>;
  /** The tensors to write, in input units. Default `sae.foldedWeights()`. The caller disposes them. */
  saveWeights?(sae: S): Record<string, tf.Tensor>;
  /** Sets a freshly built SAE's weights from the file's tensors. Default `sae.loadWeights(tensors)`. */
  loadWeights?(sae: S, tensors: Record<string, tf.Tensor>): void;
  /**
   * The SAELens training-config architecture `saeConfigFromSaeLens` reads as this one, its fields
   * (SAELens name -> ours, beyond d_in, d_sae, apply_b_dec_to_input) and the required ones.
   * Omitted: no SAELens config converts to this architecture.
   */
  trainingConfig?: { architecture: string; fields: Record<string, string>; required?: string[] };
}

/** The `gensparse train` flags an architecture may read (src/cli/main.ts defines and parses them). */
export type TrainFlag = 'k' | 'sparsityCoefficient';

/** What one `gensparse train` flag means for an architecture. */
export interface TrainFlagUse {
  /** The config field the flag sets ('k', 'l1Coefficient', ...). */
  field: string;
  /** Its meaning, for `--help` ('active latents per input', 'L1 coefficient'). */
  meaning: string;
  /** The architecture cannot be built without it. */
  required?: boolean;
}

/** One registered architecture. */
export interface ArchitectureEntry<C extends { architecture: string }, S extends SparseAutoencoder> {
  /** Our name (`config.architecture`). */
  name: C['architecture'];
  /** Validates a config and fills in its defaults, allocating nothing (throws a ConfigError naming the field). */
  resolve(config: C): ResolvedCommonConfig & { architecture: string };
  /** Builds the SAE. */
  create(config: C): S;
  /** SAELens layout and config names. */
  saeLens: SaeLensHooks<C, S>;
  /** The `gensparse train` flags it reads. */
  cli: Partial<Record<TrainFlag, TrainFlagUse>>;
}

/** A registered entry with its types erased (what the lookups return). */
export type RegisteredArchitecture = ArchitectureEntry<SaeCommonConfig & { architecture: string }, SparseAutoencoder>;

const entries = new Map<string, RegisteredArchitecture>();

/**
 * Registers an architecture (at the end of its file). Throws a ConfigError if the name is taken,
 * or if another architecture already reads SAELens folders or training configs of the same SAELens name.
 */
export function registerSaeArchitecture<C extends { architecture: string }, S extends SparseAutoencoder>(
  entry: ArchitectureEntry<C, S>,
): void {
  if (entries.has(entry.name)) throw new ConfigError('architecture', `'${entry.name}' is already registered`);
  const reader = [...entries.values()].find(
    (e) => e.saeLens.readFolder && entry.saeLens.readFolder && e.saeLens.architecture === entry.saeLens.architecture,
  );
  if (reader) {
    throw new ConfigError(
      'saeLens.readFolder',
      `'${reader.name}' already reads SAELens '${entry.saeLens.architecture}' folders; '${entry.name}' cannot too`,
    );
  }
  const configName = entry.saeLens.trainingConfig?.architecture;
  const converter = [...entries.values()].find(
    (e) => configName && e.saeLens.trainingConfig?.architecture === configName,
  );
  if (converter) {
    throw new ConfigError(
      'saeLens.trainingConfig',
      `'${converter.name}' already reads SAELens '${configName}' configs; '${entry.name}' cannot too`,
    );
  }
  entries.set(entry.name, entry as unknown as RegisteredArchitecture);
}

/**
 * The registered entries in registration order. Import the lookups from `architectures.ts`, which
 * registers every architecture first; this module alone may not have seen them yet.
 */
export function registeredEntries(): RegisteredArchitecture[] {
  return [...entries.values()];
}

/**
 * SAE configuration shared by every architecture: the options, their sourced defaults and the
 * checks. Each architecture resolves its whole config (these plus its own fields) BEFORE any
 * weight is allocated, so a bad value throws a ConfigError naming it and nothing leaks.
 */
import { Tensor } from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt, checkNumber } from '../base/errors';
import { LIMITS } from '../core/limits';
import { checkK } from '../../kernels/shared/checks';

/** Options every SAE shares. */
export interface SaeCommonConfig {
  /** Input width D. */
  dIn: number;
  /** Number of latents N (the dictionary size). */
  nLatents: number;
  /** W_enc = W_dec^T at initialisation (Gao et al. 2024). Default true. */
  tiedInit?: boolean;
  /** Encode x - b_dec (true, SAELens `apply_b_dec_to_input`) or x itself (false, e.g. Gemma Scope). Default true. */
  applyBDecToInput?: boolean;
  /**
   * Run the fused kernels of `kernels/` (true) or every op's plain-tfjs `kernels/<op>/reference.ts`
   * (false). The package's one switch (kernels/shared/js-kernel.ts); default true.
   */
  useKernels?: boolean;
  /** Seed of the initial weights. Default 0. */
  seed?: number;
  /**
   * Largest parameter count (W_enc, W_dec, b_enc, b_dec) allowed, checked before anything is
   * allocated. Default 2^28 (1 GiB of float32 weights; Adam's moments add twice that in training).
   */
  maxParameters?: number;
}

/** The common options with every default filled in and checked. */
export type ResolvedCommonConfig = Required<SaeCommonConfig>;

/** Keys of `SaeCommonConfig` (each architecture adds its own). */
export const COMMON_KEYS = [
  'architecture',
  'dIn',
  'nLatents',
  'tiedInit',
  'applyBDecToInput',
  'useKernels',
  'seed',
  'maxParameters',
] as const;

/**
 * Throws unless `config` is a plain object whose keys are all in `allowed`; an unknown key lists
 * the keys that exist. (`createSae` first points SAELens field names to the converter.)
 */
export function checkKeys(config: unknown, architecture: string, allowed: readonly string[]): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError('config', `must be an object like {architecture, dIn, nLatents, ...}, got ${String(config)}`);
  }
  for (const key of Object.keys(config)) {
    if (allowed.includes(key)) continue;
    throw new ConfigError(key, `is not an option of the '${architecture}' SAE; the options are ${allowed.join(', ')}`);
  }
}

/** Throws unless `value` is a boolean (a string like 'no' is not one), naming the argument. */
export function checkBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    const shown = typeof value === 'string' ? `'${value}'` : String(value);
    throw new ConfigError(argument, `must be true or false, got ${shown}`);
  }
  return value;
}

/**
 * Validates the common options (and that `config` holds only the architecture's keys: `ownKeys`)
 * and fills in their defaults. The parameter count is checked here, before any allocation.
 */
export function resolveCommon(
  config: SaeCommonConfig & { architecture: string },
  ownKeys: readonly string[],
): ResolvedCommonConfig {
  checkKeys(config, config.architecture, [...COMMON_KEYS, ...ownKeys]);
  const dIn = checkInt('dIn', config.dIn, 1);
  const nLatents = checkInt('nLatents', config.nLatents, 1);
  const maxParameters = checkNumber('maxParameters', config.maxParameters ?? LIMITS.maxParameters, { min: 1 });
  const count = 2 * dIn * nLatents + dIn + nLatents;
  if (count > maxParameters) {
    throw new ConfigError(
      'nLatents',
      `dIn=${dIn} x nLatents=${nLatents} makes ${count} parameters (${((count * 4) / 2 ** 30).toFixed(2)} GiB), ` +
        `more than maxParameters=${maxParameters}; raise maxParameters if this is meant`,
    );
  }
  return {
    dIn,
    nLatents,
    tiedInit: checkBoolean('tiedInit', config.tiedInit ?? true),
    applyBDecToInput: checkBoolean('applyBDecToInput', config.applyBDecToInput ?? true),
    useKernels: checkBoolean('useKernels', config.useKernels ?? true),
    seed: checkInt('seed', config.seed ?? 0, 0, 2 ** 32 - 1),
    maxParameters,
  };
}

/** Throws unless a loss coefficient is a finite number >= 0. */
export function checkCoefficient(argument: string, value: number): number {
  return checkNumber(argument, value, { min: 0 });
}

/** k_aux, the dead latents AuxK uses: floor(D / 2) by default (Gao et al. 2024; openai used 256 at D = 768). */
export function resolveKAux(kAux: number | undefined, dIn: number, nLatents: number): number {
  return kAux === undefined ? Math.max(1, Math.floor(dIn / 2)) : checkK('kAux', kAux, nLatents);
}

/** Throws an InputError naming a bad forward option (a dead index out of [0, N), a non-boolean flag). */
export function checkForwardOptions(
  options: { training?: boolean; deadLatents?: Int32Array; target?: unknown },
  nLatents: number,
): void {
  if (options === null || typeof options !== 'object')
    throw new InputError('options', `must be an object, got ${options}`);
  if (options.target !== undefined && !(options.target instanceof Tensor)) {
    throw new InputError('options.target', `must be a tf.Tensor [B, D], got ${String(options.target)}`);
  }
  if (options.training !== undefined && typeof options.training !== 'boolean') {
    throw new InputError('options.training', `must be true or false, got ${String(options.training)}`);
  }
  const dead = options.deadLatents;
  if (dead === undefined) return;
  if (!(dead instanceof Int32Array)) throw new InputError('deadLatents', 'must be an Int32Array of latent indices');
  const bad = dead.findIndex((i) => i < 0 || i >= nLatents);
  if (bad >= 0)
    throw new InputError('deadLatents', `must hold indices in [0, ${nLatents - 1}], got ${dead[bad]} at ${bad}`);
}

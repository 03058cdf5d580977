/**
 * SAE configuration shared by every architecture: the options, their sourced defaults and the
 * checks. Each architecture resolves its whole config (these plus its own fields) BEFORE any
 * weight is allocated, so a bad value throws a ConfigError naming it and nothing leaks.
 */
import { ConfigError, checkInt, checkNumber } from '../core/errors';

/** The architectures of the family. */
export const SAE_ARCHITECTURES = ['relu-l1', 'topk', 'batch-topk', 'jumprelu', 'matryoshka'] as const;
export type SaeArchitecture = (typeof SAE_ARCHITECTURES)[number];

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
}

/** The common options with every default filled in and checked. */
export type ResolvedCommonConfig = Required<SaeCommonConfig>;

/** Keys of `SaeCommonConfig` (each architecture adds its own). */
export const COMMON_KEYS = ['architecture', 'dIn', 'nLatents', 'tiedInit', 'applyBDecToInput', 'useKernels', 'seed'];

/** Throws unless `value` is a boolean (a string like 'no' is not one), naming the argument. */
export function checkBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    const shown = typeof value === 'string' ? `'${value}'` : String(value);
    throw new ConfigError(argument, `must be true or false, got ${shown}`);
  }
  return value;
}

/** Validates the common options and fills in their defaults. */
export function resolveCommon(config: SaeCommonConfig): ResolvedCommonConfig {
  return {
    dIn: checkInt('dIn', config.dIn, 1),
    nLatents: checkInt('nLatents', config.nLatents, 1),
    tiedInit: checkBoolean('tiedInit', config.tiedInit ?? true),
    applyBDecToInput: checkBoolean('applyBDecToInput', config.applyBDecToInput ?? true),
    useKernels: checkBoolean('useKernels', config.useKernels ?? true),
    seed: checkInt('seed', config.seed ?? 0, 0, 2 ** 32 - 1),
  };
}

/** Throws unless k is an integer in [1, n], naming the argument. */
export function checkK(argument: string, k: number, n: number): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > n) {
    throw new ConfigError(argument, `must be an integer in [1, nLatents=${n}], got ${k}`);
  }
  return k;
}

/** Throws unless a loss coefficient is a finite number >= 0. */
export function checkCoefficient(argument: string, value: number): number {
  return checkNumber(argument, value, { min: 0 });
}

/** k_aux, the dead latents AuxK uses: floor(D / 2) by default (Gao et al. 2024; openai used 256 at D = 768). */
export function resolveKAux(kAux: number | undefined, dIn: number, nLatents: number): number {
  return kAux === undefined ? Math.max(1, Math.floor(dIn / 2)) : checkK('kAux', kAux, nLatents);
}

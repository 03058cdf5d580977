/**
 * The known-truth generators by name, so a script or an experiment can pick one with a flag:
 * - 'synth-sae-bench' (the default): SynthSAEBench's published parameters (synth-bench.ts).
 * - 'gensparse-v1': the generator this package used before (synth-bench-v1.ts), kept so that
 *   reports made with it can be rerun.
 */
import { checkOneOf } from '../base/errors';
import type { ActivationSource } from './source';
import { SynthBench } from './synth-bench';
import { SynthBenchV1 } from './synth-bench-v1';
import type { SyntheticSample } from './synthetic';

export const SYNTH_BENCH_PRESETS = ['synth-sae-bench', 'gensparse-v1'] as const;
export type SynthBenchPreset = (typeof SYNTH_BENCH_PRESETS)[number];

/** What both generators offer: the true directions, a seeded stream with its codes, its position. */
export interface KnownTruthBench extends ActivationSource {
  readonly numFeatures: number;
  readonly dim: number;
  /** Unit directions, row-major [m, d]. */
  readonly directions: Float32Array;
  /** Expected number of firing features per input. */
  readonly expectedL0: number;
  sample(n: number): SyntheticSample;
  getState(): { rng: number[] };
  setState(state: { rng: number[] }): void;
}

/** The generator `preset` with m features in d dimensions and `seed`; every other setting is the preset's. */
export function createSynthBench(
  preset: SynthBenchPreset,
  shape: { numFeatures?: number; dim?: number; seed?: number } = {},
): KnownTruthBench {
  switch (checkOneOf('preset', preset, SYNTH_BENCH_PRESETS)) {
    case 'synth-sae-bench':
      return new SynthBench(shape);
    case 'gensparse-v1':
      return new SynthBenchV1(shape);
  }
}

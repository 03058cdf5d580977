/** Every experiment, in the order of the research questions (issue #14). */
import { absorption } from './absorption';
import { batchtopkThreshold } from './batchtopk-threshold';
import { deadLatents } from './dead-latents';
import { frontier } from './frontier';
import { knownTruth } from './known-truth';
import type { Study } from './study';
import { opposingDirections } from './opposing-directions';
import { progressive } from './progressive';
import { shuffling } from './shuffling';
import { splitting } from './splitting';
import { thresholdGradientsExperiment } from './threshold-gradients';
import { transcoderInit } from './transcoder-init';

export const STUDIES: Study[] = [
  knownTruth,
  frontier,
  deadLatents,
  opposingDirections,
  shuffling,
  splitting,
  progressive,
  absorption,
  thresholdGradientsExperiment,
  batchtopkThreshold,
  transcoderInit,
];

/** The experiment called `name`, or undefined. */
export function findStudy(name: string): Study | undefined {
  return STUDIES.find((e) => e.name === name);
}

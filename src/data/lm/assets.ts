/**
 * The shipped models on disk and the activation sources built from them (Node only).
 *
 * `assets/char-lm/` holds `model.safetensors` and `config.json`, written by
 * `scripts/train-char-lm.ts` through the core `saveCheckpoint`. The held-out loss that
 * docs/library.md states is measured on `HELD_OUT_EVAL_CHARS` characters at the start of the
 * held-out text (`evaluateShippedCharLm`), and the tests check it. `assets/mnist-mlp/`
 * holds the MNIST classifier written by `scripts/train-mnist-mlp.ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../base/errors';
import { loadCheckpoint } from '../../core/checkpoint';
import { CharLm, type CharLmConfig, evaluateCharLm } from './char-lm';
import { CharVocab } from './vocab';
import { loadTextSplit } from './text';
import { type CharLmActivationOptions, CharLmActivations } from './activations';
import { MlpActivations, MnistMlp, type MnistMlpConfig } from './mnist-mlp';
import { loadMnist } from '../mnist';

/** What `config.json` of a char-LM checkpoint holds: the model shape plus how it was trained. */
export interface CharLmCheckpointConfig {
  model: CharLmConfig;
  training: Record<string, number | string>;
  /** Held-out loss (nats/char) on the first `heldOutEvalChars` held-out characters. */
  heldOutLoss: number;
  heldOutEvalChars: number;
}

/** Characters of held-out text the stated held-out loss is measured on (512 windows of 64). */
export const HELD_OUT_EVAL_CHARS = 32768;

/** Finds `assets/<name>` by walking up from this file (works from src/ and from dist/src/). */
export function assetDir(name: string): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'assets', name);
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new InputError('name', `no assets/${name} folder found above ${__dirname}`);
}

/** Loads a char-LM checkpoint folder (default: the shipped `assets/char-lm`). */
export function loadCharLm(dir = assetDir('char-lm')): { model: CharLm; config: CharLmCheckpointConfig } {
  const { config, tensors } = loadCheckpoint<CharLmCheckpointConfig>(dir);
  try {
    return { model: CharLm.fromTensors(config.model, tensors), config };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/** The held-out characters the stated loss is measured on, as token ids. */
export function heldOutEvalTokens(chars = HELD_OUT_EVAL_CHARS): Int32Array {
  return new CharVocab().encode(loadTextSplit().heldOut.slice(0, chars + 1));
}

/** Held-out loss (nats/char) of `model` on the first `chars` held-out characters. */
export function evaluateShippedCharLm(model: CharLm, chars = HELD_OUT_EVAL_CHARS): Promise<number> {
  return evaluateCharLm(model, heldOutEvalTokens(chars), { maxTokens: chars });
}

/** What `config.json` of the MNIST MLP checkpoint holds. */
export interface MnistMlpCheckpointConfig {
  model: MnistMlpConfig;
  training: Record<string, number | string>;
  /** Accuracy on the 10,000 MNIST test images. */
  testAccuracy: number;
}

/** Loads an MNIST MLP checkpoint folder (default: the shipped `assets/mnist-mlp`). */
export function loadMnistMlp(dir = assetDir('mnist-mlp')): { model: MnistMlp; config: MnistMlpCheckpointConfig } {
  const { config, tensors } = loadCheckpoint<MnistMlpCheckpointConfig>(dir);
  try {
    return { model: MnistMlp.fromTensors(config.model, tensors), config };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/**
 * The shipped char model's residual stream at `layer` over a stretch of the training or
 * held-out text, as an ActivationSource with contexts (the model is disposed afterwards).
 */
export async function loadCharLmActivations(
  options: CharLmActivationOptions & { split?: 'train' | 'heldOut'; dir?: string } = {},
): Promise<CharLmActivations> {
  const { split = 'train', dir, ...rest } = options;
  const text = loadTextSplit()[split];
  const { model } = loadCharLm(dir);
  try {
    return await CharLmActivations.create(model, text, rest);
  } finally {
    model.dispose();
  }
}

/** The shipped MNIST MLP's hidden activations on the MNIST `split` (first `limit` images). */
export async function loadMnistMlpActivations(
  options: { split?: 'train' | 'test'; limit?: number; dir?: string } = {},
): Promise<MlpActivations> {
  const data = loadMnist({ split: options.split ?? 'train', limit: options.limit });
  const { model } = loadMnistMlp(options.dir);
  try {
    return await MlpActivations.create(model, data);
  } finally {
    model.dispose();
  }
}

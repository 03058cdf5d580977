/**
 * (MLP input, MLP output) pairs of one block of the character model: the data a transcoder
 * learns from (Dunefsky et al. 2024, arXiv:2406.11944: the transcoder reads the MLP's input
 * LN2(x_l') and predicts its output). Browser-safe.
 *
 * The text is read as the splice evaluation reads it (src/sae/eval/splice.ts): consecutive
 * windows of T = contextLength characters from `start`, every position of every window kept,
 * so a transcoder is trained on the same kind of positions it is later spliced in at.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt } from '../../base/errors';
import { Rng } from '../../core/random';
import { PairedArraySource } from '../source';
import { type CharLm, windowIds } from './char-lm';

/** Options of `captureMlpPairs`. */
export interface MlpPairOptions {
  /** The block whose MLP is read: 0 .. nLayers - 1. */
  block: number;
  /** First text position read. Default 0. */
  start?: number;
  /** Positions read (rounded down to whole windows of T). Default 65,536. */
  maxChars?: number;
  /** Windows per forward pass. Default 32. */
  batchWindows?: number;
  /**
   * Put the rows in one random order with this seed (both halves alike), so a batch mixes
   * positions from across the text instead of a few consecutive windows. Default: text order.
   */
  shuffleSeed?: number;
}

/** Runs the model over the windows and returns the pairs as a wrapping source of [rows, D] arrays. */
export async function captureMlpPairs(
  model: CharLm,
  tokens: Int32Array,
  options: MlpPairOptions,
): Promise<PairedArraySource> {
  const T = model.config.contextLength;
  const D = model.dModel;
  const block = checkInt('block', options.block, 0, model.config.nLayers - 1);
  const start = checkInt('start', options.start ?? 0, 0, Math.max(0, tokens.length - 1));
  const maxChars = checkInt('maxChars', options.maxChars ?? 65536, 1);
  const batchWindows = checkInt('batchWindows', options.batchWindows ?? 32, 1);
  const windows = Math.floor(Math.min(tokens.length - start, maxChars) / T);
  if (windows < 1)
    throw new InputError('tokens', `need at least ${T} tokens after start ${start}, got ${tokens.length - start}`);
  const inputs = new Float32Array(windows * T * D);
  const targets = new Float32Array(windows * T * D);
  for (let w0 = 0; w0 < windows; w0 += batchWindows) {
    const B = Math.min(batchWindows, windows - w0);
    const starts = Int32Array.from({ length: B }, (_, b) => start + (w0 + b) * T);
    const idsBT = tf.tensor2d(windowIds(tokens, starts, T, 0), [B, T], 'int32');
    const { inputND, outputND } = model.mlpInputOutput(idsBT, block);
    const [x, y] = await Promise.all([inputND.data(), outputND.data()]);
    tf.dispose([idsBT, inputND, outputND]);
    inputs.set(x, w0 * T * D);
    targets.set(y, w0 * T * D);
  }
  if (options.shuffleSeed === undefined) return new PairedArraySource(inputs, targets, D);
  const rows = windows * T;
  const order = new Rng(checkInt('shuffleSeed', options.shuffleSeed, 0)).shuffle(
    Int32Array.from({ length: rows }, (_, i) => i),
  ) as Int32Array;
  const [xs, ys] = [new Float32Array(inputs.length), new Float32Array(targets.length)];
  for (let i = 0; i < rows; i++) {
    xs.set(inputs.subarray(order[i] * D, order[i] * D + D), i * D);
    ys.set(targets.subarray(order[i] * D, order[i] * D + D), i * D);
  }
  return new PairedArraySource(xs, ys, D);
}

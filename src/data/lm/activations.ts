/**
 * Residual-stream activations of the character model as an `ActivationSource`, with the
 * text context of every token kept (browser-safe).
 *
 * This is the data the SAE lessons train on, as in Bricken et al. 2023 ("Towards
 * Monosemanticity", transformer-circuits.pub) and Cunningham et al. 2023 (arXiv:2309.08600):
 * one D-dimensional vector x_l[t] per character t of the text, taken from the residual
 * stream after `layer` blocks (`CharLm.residualStream`). Row i of the source is the
 * character at text position `start + i`, so a latent's top-activating rows can be shown
 * as the text around them (`contextOf`, `topContexts`).
 *
 * Windows: the model reads at most T = contextLength characters, so the text is cut into
 * windows of T that overlap by `minContext` characters, and each window keeps only the
 * positions that have at least `minContext` characters before them inside the window
 * (the first window of the text keeps all). Every position in [start, start + length) is
 * computed exactly once, and (except near the start of the text) with at least
 * `minContext` characters of context.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkFiniteArray, checkInt } from '../../base/errors';
import type { ActivationSource } from '../source';
import type { CharLm } from './char-lm';
import { CharVocab } from './vocab';

export interface CharLmActivationOptions {
  /** Residual stream after this many blocks: 0 (embeddings) to nLayers (default 1). */
  layer?: number;
  /** First text position to compute (default 0). */
  start?: number;
  /** Number of positions to compute (default: 65,536 or to the end of the text). */
  maxTokens?: number;
  /** Characters of context every position gets inside its window (default 16; < contextLength). */
  minContext?: number;
  /** Windows per forward pass (default 32). */
  batchSize?: number;
}

/** A character with the text around it. */
export interface TokenContext {
  /** Row of the source. */
  row: number;
  /** Position in the (normalised) text. */
  position: number;
  left: string;
  token: string;
  right: string;
}

/** `left[token]right` on one line, newlines shown as '⏎' (for printing top contexts). */
export function showContext(c: { left: string; token: string; right: string }): string {
  const flat = (s: string) => s.replace(/\n/g, '⏎');
  return `${flat(c.left)}[${flat(c.token)}]${flat(c.right)}`;
}

export class CharLmActivations implements ActivationSource {
  /** Row of the next `nextBatch`. */
  private cursor = 0;
  /** Text positions of the rows the last `nextBatch` returned. */
  lastPositions: Int32Array = new Int32Array(0);

  private constructor(
    /** Width D of each activation vector. */
    readonly dim: number,
    /** The residual-stream layer the vectors come from. */
    readonly layer: number,
    /** The normalised text (what the model saw; unknown characters shown as '~'). */
    readonly text: string,
    /** Text position of row 0. */
    readonly start: number,
    /** The activations, row-major [length, dim]. */
    readonly activations: Float32Array,
  ) {}

  /** Runs `model` over `text` and keeps the activations of the chosen range (see the module comment). */
  static async create(model: CharLm, text: string, options: CharLmActivationOptions = {}): Promise<CharLmActivations> {
    const T = model.config.contextLength;
    const D = model.dModel;
    const layer = checkInt('layer', options.layer ?? 1, 0, model.config.nLayers);
    const minContext = checkInt('minContext', options.minContext ?? 16, 0, T - 1);
    const batchSize = checkInt('batchSize', options.batchSize ?? 32, 1);
    const vocab = new CharVocab();
    const tokens = vocab.encode(text);
    const start = checkInt('start', options.start ?? 0, 0, Math.max(0, tokens.length - 1));
    const count = checkInt('maxTokens', Math.min(options.maxTokens ?? 65536, tokens.length - start), 1);
    const end = start + count;

    // Windows [begin, begin + len) keeping positions [keep, begin + len) ∩ [start, end).
    const windows: { begin: number; len: number; keep: number }[] = [];
    for (let p = start; p < end; ) {
      const begin = Math.max(0, p - minContext);
      const len = Math.min(T, tokens.length - begin);
      windows.push({ begin, len, keep: p });
      p = begin + len;
    }
    const acts = new Float32Array(count * D);
    for (let w0 = 0; w0 < windows.length; ) {
      const len = windows[w0].len;
      let w1 = w0;
      while (w1 < windows.length && w1 - w0 < batchSize && windows[w1].len === len) w1++;
      const group = windows.slice(w0, w1);
      const ids = new Int32Array(group.length * len);
      group.forEach((w, b) => ids.set(tokens.subarray(w.begin, w.begin + len), b * len));
      const residBTD = tf.tidy(() => model.residualStream(tf.tensor2d(ids, [group.length, len], 'int32'), layer));
      const data = await residBTD.data();
      residBTD.dispose();
      group.forEach((w, b) => {
        const last = Math.min(w.begin + len, end);
        for (let p = w.keep; p < last; p++) {
          const from = (b * len + (p - w.begin)) * D;
          acts.set(data.subarray(from, from + D), (p - start) * D);
        }
      });
      w0 = w1;
    }
    return new CharLmActivations(D, layer, vocab.decode(tokens), start, acts);
  }

  /** Number of rows (text positions) held. */
  get length(): number {
    return this.activations.length / this.dim;
  }

  /** The next `batchSize` rows in text order, wrapping at the end; `lastPositions` says where they are. */
  nextBatch(batchSize: number): Float32Array {
    checkInt('batchSize', batchSize, 1);
    const out = new Float32Array(batchSize * this.dim);
    this.lastPositions = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      out.set(this.row(this.cursor), b * this.dim);
      this.lastPositions[b] = this.start + this.cursor;
      this.cursor = (this.cursor + 1) % this.length;
    }
    return out;
  }

  /** Starts `nextBatch` again from row 0. */
  reset(): void {
    this.cursor = 0;
  }

  /** The activation vector of row `i` (a view, not a copy). */
  row(i: number): Float32Array {
    checkInt('i', i, 0, this.length - 1);
    return this.activations.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** The text around row `i`: `left` characters before it, its own character, `right` after. */
  contextOf(i: number, left = 20, right = 5): TokenContext {
    checkInt('i', i, 0, this.length - 1);
    checkInt('left', left, 0);
    checkInt('right', right, 0);
    const position = this.start + i;
    return {
      row: i,
      position,
      left: this.text.slice(Math.max(0, position - left), position),
      token: this.text[position],
      right: this.text.slice(position + 1, position + 1 + right),
    };
  }

  /**
   * The `n` rows with the highest scores (one score per row, e.g. a latent's activation),
   * highest first (ties: lower row first), with their contexts.
   */
  topContexts(scores: ArrayLike<number>, n: number, left = 20, right = 5): (TokenContext & { score: number })[] {
    if (scores.length !== this.length)
      throw new InputError('scores', `need one score per row (${this.length}), got ${scores.length}`);
    checkInt('n', n, 1);
    checkFiniteArray('scores', scores);
    const order = Array.from({ length: scores.length }, (_, i) => i);
    order.sort((a, b) => scores[b] - scores[a] || a - b);
    return order.slice(0, n).map((i) => ({ ...this.contextOf(i, left, right), score: scores[i] }));
  }
}

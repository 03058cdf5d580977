/**
 * One seeded random source for the whole package, so a run is reproducible from its seed.
 *
 * The generator is xoshiro128** (Blackman & Vigna 2018), seeded through splitmix32.
 * Random tensors are drawn with tfjs's own seeded ops (`tf.randomNormal(..., seed)`),
 * which generate their numbers in JavaScript on every backend: each call takes a fresh
 * seed from this generator, so the same Rng seed gives the same tensors everywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt, checkNumber } from '../base/errors';

function splitmix32(state: number): () => number {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;

  /** @param seed any integer in [0, 2^32); the same seed gives the same stream. */
  constructor(readonly seed: number) {
    checkInt('seed', seed, 0, 2 ** 32 - 1);
    const next = splitmix32(seed);
    this.s = new Uint32Array([next(), next(), next(), next()]);
  }

  /** The next 32 random bits as an unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A standard normal draw (Box-Muller; the second value is discarded for simplicity). */
  normal(): number {
    const u1 = 1 - this.uniform(); // in (0, 1]: log(u1) is finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    checkInt('n', n, 1, 2 ** 32);
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array | Float32Array): typeof items {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** The generator's state (four uint32 words), to save and later resume the same stream. */
  getState(): number[] {
    return Array.from(this.s);
  }

  /** Restores a state from `getState()`. */
  setState(state: number[]): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)
    ) {
      throw new ConfigError('state', `must be four uint32 words from Rng.getState(), got ${JSON.stringify(state)}`);
    }
    this.s = Uint32Array.from(state);
  }

  /** An independent child generator, e.g. one for data order and one for initial weights. */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /** A seed for one tfjs random op. */
  tfSeed(): number {
    return this.nextUint32();
  }

  /** A tensor of N(mean, std^2) draws. */
  randomNormal(shape: number[], mean = 0, std = 1): tf.Tensor {
    checkNumber('std', std, { min: 0 });
    return tf.randomNormal(shape, mean, std, 'float32', this.tfSeed());
  }

  /** A tensor of U[lo, hi) draws. */
  randomUniform(shape: number[], lo = 0, hi = 1): tf.Tensor {
    return tf.randomUniform(shape, lo, hi, 'float32', this.tfSeed());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

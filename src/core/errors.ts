/**
 * Errors that name the argument at fault and the range it must be in.
 *
 * Bad input is never clamped or repaired: it throws one of these, so the
 * message a learner sees says which knob to turn and how far.
 */
import type * as tf from '@tensorflow/tfjs';

/** A configuration value is outside its allowed range (`k`, `lr`, `latentDim`, ...). */
export class ConfigError extends Error {
  constructor(
    readonly argument: string,
    detail: string,
  ) {
    super(`${argument}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** A tensor or array passed at run time has the wrong shape or holds non-finite values. */
export class InputError extends Error {
  constructor(
    readonly argument: string,
    detail: string,
  ) {
    super(`${argument}: ${detail}`);
    this.name = 'InputError';
  }
}

/** Throws unless `value` is a finite number in [min, max] (either bound may be open). */
export function checkNumber(
  argument: string,
  value: number,
  {
    min = -Infinity,
    max = Infinity,
    minOpen = false,
    maxOpen = false,
  }: { min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean } = {},
): number {
  const range = `${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minOpen ? value > min : value >= min) &&
    (maxOpen ? value < max : value <= max);
  if (!ok) throw new ConfigError(argument, `must be a number in ${range}, got ${value}`);
  return value;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInt(argument: string, value: number, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(argument, `must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function checkOneOf<T extends string>(argument: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new ConfigError(argument, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${value}'`);
  }
  return value;
}

/**
 * Throws unless `tensor` has the expected shape; `null` in `expected` matches any size.
 * Example: checkShape('x', x, [null, 784]) for a batch of flattened MNIST images.
 */
export function checkShape(argument: string, tensor: { shape: number[] }, expected: (number | null)[]): void {
  const shape = tensor.shape;
  const ok = shape.length === expected.length && expected.every((e, i) => e === null || e === shape[i]);
  if (!ok) {
    const want = `[${expected.map((e) => (e === null ? '*' : e)).join(', ')}]`;
    throw new InputError(argument, `expected shape ${want}, got [${shape.join(', ')}]`);
  }
}

/** Throws if a plain array holds NaN or +-Infinity, giving the first bad index. */
export function checkFiniteArray(argument: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InputError(argument, `must be finite, found ${values[i]} at flat index ${i}`);
    }
  }
}

/**
 * Throws if a tensor holds NaN or +-Infinity. Reads the tensor back with `await`
 * (never `dataSync`, which breaks the WebGPU backend), so call it at data boundaries,
 * not inside a hot loop.
 */
export async function checkFinite(argument: string, tensor: tf.Tensor): Promise<void> {
  checkFiniteArray(argument, (await tensor.data()) as Float32Array);
}

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
 * Throws unless `tensor` has the expected shape. `null` in `expected` matches any size of at
 * least 1: an empty batch is an error, not a batch (a loss averaged over 0 rows is 0/0, and
 * some kernels read past the end), so every caller rejects it the same way. A 0 in `expected`
 * still matches 0.
 * Example: checkShape('x', x, [null, 784]) for a batch of flattened MNIST images.
 */
export function checkShape(argument: string, tensor: { shape: number[] }, expected: (number | null)[]): void {
  if (tensor === null || typeof tensor !== 'object' || !Array.isArray(tensor.shape)) {
    throw new InputError(argument, `must be a tensor of shape ${shapeText(expected)}, got ${describeValue(tensor)}`);
  }
  const shape = tensor.shape;
  const ok =
    shape.length === expected.length && expected.every((e, i) => (e === null ? shape[i] >= 1 : e === shape[i]));
  if (!ok) {
    const empty = shape.length === expected.length && expected.some((e, i) => e === null && shape[i] === 0);
    throw new InputError(
      argument,
      `expected shape ${shapeText(expected)}, got [${shape.join(', ')}]${empty ? ': empty (a * axis needs at least 1)' : ''}`,
    );
  }
}

function shapeText(expected: (number | null)[]): string {
  return `[${expected.map((e) => (e === null ? '*' : e)).join(', ')}]`;
}

/** A short description of a value for an error message (its type, or its value when short). */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a${typeof value === 'object' ? 'n' : ''} ${typeof value}`;
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

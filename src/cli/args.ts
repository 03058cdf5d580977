/**
 * Parsers for command-line option values (commander's `argParser`), shared by the CLI and the
 * scripts: a bad value is rejected with a message naming the allowed range, never read as NaN.
 */
import * as fs from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** An integer >= min. */
export function integer(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`must be an integer >= ${min}, got '${value}'`);
    return n;
  };
}

/** A comma-separated list of integers >= min (one value is a list of one): '8,16,32' -> [8, 16, 32]. */
export function integerList(min: number): (value: string) => number[] {
  const one = integer(min);
  return (value) => value.split(',').map((part) => one(part.trim()));
}

/** A finite number > 0. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`must be a number > 0, got '${value}'`);
  return n;
}

/** A finite number >= 0. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`must be a number >= 0, got '${value}'`);
  return n;
}

/** A number in [0, 1). */
export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n < 1))
    throw new InvalidArgumentError(`must be a fraction in [0, 1), got '${value}'`);
  return n;
}

/** An output folder: one that exists already must be a folder, not a file (it is written into). */
export function outputFolder(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must name a folder');
  if (fs.existsSync(value) && !fs.statSync(value).isDirectory())
    throw new InvalidArgumentError(`'${value}' is a file; name a folder (it is created if missing)`);
  return value;
}

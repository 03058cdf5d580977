/**
 * Argument checks shared by every kernel's reference and fast path, so both reject the
 * same inputs with the same message (a ConfigError or InputError naming the argument).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt } from '../../src/base/errors';

/** Throws unless `t` is a float32 tensor of rank 2. */
export function checkFloat2D(name: string, t: tf.Tensor): void {
  if (!(t instanceof tf.Tensor)) throw new InputError(name, 'must be a tf.Tensor');
  if (t.rank !== 2) throw new InputError(name, `expected a rank-2 tensor, got shape [${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32') throw new InputError(name, `expected dtype float32, got ${t.dtype}`);
}

/** Throws unless `t` is a float32 tensor of shape [size]. */
export function checkFloat1D(name: string, t: tf.Tensor, size: number): void {
  if (!(t instanceof tf.Tensor)) throw new InputError(name, 'must be a tf.Tensor');
  if (t.rank !== 1 || t.shape[0] !== size)
    throw new InputError(name, `expected shape [${size}], got [${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32') throw new InputError(name, `expected dtype float32, got ${t.dtype}`);
}

/** Throws unless `t` has exactly `shape`. */
export function checkSameShape(name: string, t: tf.Tensor, shape: number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new InputError(name, `expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

/** Checks a sparse code: values [B,K] float32 and indices [B,K] int32. */
export function checkSparseCode(values: tf.Tensor, indices: tf.Tensor): void {
  checkFloat2D('valuesBK', values);
  if (indices.dtype !== 'int32') throw new InputError('indicesBK', `expected dtype int32, got ${indices.dtype}`);
  checkSameShape('indicesBK', indices, values.shape);
}

/** Throws unless k (active latents per row) is an integer in [1, n], n the latents, naming the argument. */
export function checkK(argument: string, k: number, n: number): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > n) {
    throw new ConfigError(argument, `must be an integer in [1, nLatents=${n}], got ${k}`);
  }
  return k;
}

/** Throws unless seed and step are integers in [0, 2^32). */
export function checkSeedStep(seed: number, step: number): void {
  checkInt('seed', seed, 0, 2 ** 32 - 1);
  checkInt('step', step, 0, 2 ** 32 - 1);
}

/** Throws unless the bandwidth is a finite number > 0. */
export function checkBandwidth(bandwidth: number): void {
  if (typeof bandwidth !== 'number' || !Number.isFinite(bandwidth) || bandwidth <= 0) {
    throw new ConfigError('bandwidth', `must be a number in (0, Infinity), got ${bandwidth}`);
  }
}

/** The encoder's inputs: x [B,D], W_enc [D,N], b_enc [N], b_dec [D], all float32. */
export function checkEncoderArgs(xBD: tf.Tensor, wEncDN: tf.Tensor, bEncN: tf.Tensor, bDecD: tf.Tensor): void {
  checkFloat2D('xBD', xBD);
  checkFloat2D('wEncDN', wEncDN);
  const [d, n] = wEncDN.shape;
  if (xBD.shape[1] !== d)
    throw new InputError('xBD', `expected shape [*, ${d}] to match wEncDN [${d}, ${n}], got [${xBD.shape.join(', ')}]`);
  checkFloat1D('bEncN', bEncN, n);
  checkFloat1D('bDecD', bDecD, d);
}

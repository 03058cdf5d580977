/**
 * Size limits, checked before anything is allocated.
 *
 * A size read from a file or a config (a header length, a tensor shape, d_sae, a hidden width)
 * is first checked against what the file really holds, then against one of these documented
 * defaults; over either, the call throws a named error that says which option raises the limit.
 * Each default is overridable per call (a loader's `maxBytes` / `maxHeaderBytes` /
 * `maxConfigBytes`, a model's `maxParameters`), never by a global switch.
 */
import { ConfigError, InputError } from '../base/errors';

export const LIMITS = {
  /**
   * Parameters of one model: 2^28 = 268,435,456 float32 values, 1 GiB (a 4096 x 32768 SAE has
   * 268M). Past this tfjs's wasm backend (4 GiB of memory, parameters + Adam's two moments +
   * gradients) runs out anyway.
   */
  maxParameters: 2 ** 28,
  /** Bytes of tensors one load reads into memory (a checkpoint's weights, a buffer): 2 GiB. */
  maxBytes: 2 ** 31,
  /** Bytes of one JSON config file (config.json, cfg.json): 16 MiB. */
  maxConfigBytes: 2 ** 24,
} as const;

/** Throws a ConfigError unless a model's parameter count is at most `maxParameters` (default LIMITS.maxParameters). */
export function checkParamCount(argument: string, count: number, maxParameters: number = LIMITS.maxParameters): void {
  if (!(count <= maxParameters)) {
    throw new ConfigError(
      argument,
      `gives ${count < 1e6 ? count : count.toPrecision(4)} parameters (${formatBytes(4 * count)} as float32), over the limit of ${maxParameters} (maxParameters; raise it to build a larger model)`,
    );
  }
}

/** Throws an InputError unless `bytes` (to be read from `file`) is at most `maxBytes`. */
export function checkBytes(file: string, bytes: number, maxBytes: number, option: string, what: string): void {
  if (!(bytes <= maxBytes)) {
    throw new InputError(
      file,
      `${what} is ${formatBytes(bytes)}, over the limit of ${formatBytes(maxBytes)} (${option}; raise it to read it)`,
    );
  }
}

/** 1536 -> "1.5 KiB" (exact bytes below 1 KiB). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${Number(v.toPrecision(4))} ${units[u]}`;
}

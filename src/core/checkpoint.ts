/**
 * Checkpoints on disk (Node only): a folder with `model.safetensors` (the parameters) and
 * `config.json` (everything needed to rebuild the model), saved atomically as a whole (a
 * staged folder swapped in: see atomic.ts), and the checked readers every loader uses: sizes
 * against the file and the limits of limits.ts before anything is allocated, errors that name
 * the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { recoverFolder, writeFileAtomic, writeFolderAtomic } from './atomic';
import { InputError } from '../base/errors';

export { recoverFolder, writeFileAtomic, writeFolderAtomic };
import { LIMITS, checkBytes } from './limits';
import {
  type RawTensor,
  type SafetensorsHeader,
  type SafetensorsHeaderOptions,
  decodeSafetensorsHeader,
  encodeSafetensors,
  nullRecord,
  rawToTensor,
  safetensorsHeaderLength,
  tensorToRaw,
} from './safetensors';

/** The safetensors bytes of tfjs tensors (awaits each tensor's data). */
export async function safetensorsBytes(
  tensors: Record<string, tf.Tensor>,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const raw = nullRecord<RawTensor>();
  for (const [k, t] of Object.entries(tensors)) raw[k] = await tensorToRaw(t);
  return encodeSafetensors(raw, metadata);
}

/** Saves tensors to a .safetensors file atomically. */
export async function saveSafetensors(
  file: string,
  tensors: Record<string, tf.Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  writeFileAtomic(file, await safetensorsBytes(tensors, metadata));
}

/** Options of the loaders: the size limits (see limits.ts), each overridable. */
export interface LoadOptions extends SafetensorsHeaderOptions {
  /** Most bytes of tensors read into memory (default LIMITS.maxBytes, 2 GiB). */
  maxBytes?: number;
  /** Largest JSON config file (default LIMITS.maxConfigBytes, 16 MiB). */
  maxConfigBytes?: number;
}

/** The size of a regular file, or an InputError naming it (missing, a directory, not a file). */
export function statFile(file: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(e as Error).message})`);
  }
  if (st.isDirectory()) throw new InputError(file, 'is a directory, expected a file');
  if (!st.isFile()) throw new InputError(file, 'is not a regular file');
  return st.size;
}

/**
 * Reads a JSON file that must hold an object (config.json, cfg.json): a missing, empty,
 * truncated, oversized or non-object file is an InputError naming the file and the fault.
 */
export function readJsonObject(
  file: string,
  { maxConfigBytes = LIMITS.maxConfigBytes }: LoadOptions = {},
): Record<string, unknown> {
  const size = statFile(file);
  if (size === 0) throw new InputError(file, 'is empty: an interrupted save or not a config file');
  checkBytes(file, size, maxConfigBytes, 'maxConfigBytes', 'the config file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, `is not valid JSON (${(e as Error).message}): a truncated or corrupted file`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError(
      file,
      `holds ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}, expected a JSON object`,
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads and validates the header of a .safetensors file without reading its data: the header
 * length is checked against the limit and the file's real size before its bytes are allocated,
 * and the tensors must cover the rest of the file exactly.
 */
export function readSafetensorsHeader(file: string, opts: SafetensorsHeaderOptions = {}): SafetensorsHeader {
  const size = statFile(file);
  const fd = fs.openSync(file, 'r');
  try {
    const first8 = Buffer.alloc(8);
    const got = fs.readSync(fd, first8, 0, 8, 0);
    const prefix = Buffer.alloc(8 + safetensorsHeaderLength(first8.subarray(0, got), size, opts));
    fs.readSync(fd, prefix, 0, prefix.length, 0);
    return decodeSafetensorsHeader(prefix, size, opts);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(file, e.message);
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Loads every tensor of a .safetensors file; the caller disposes them. The header is read and
 * checked first (sizes against the file and `maxBytes`), then each tensor is read on its own,
 * so memory holds one tensor's bytes at a time besides the tensors made.
 */
export function loadSafetensors(
  file: string,
  opts: LoadOptions = {},
): {
  tensors: Record<string, tf.Tensor>;
  metadata: Record<string, string>;
} {
  const header = readSafetensorsHeader(file, opts);
  return { tensors: readSafetensorsTensors(file, header, opts), metadata: header.metadata };
}

/** Reads the tensors a checked header describes (disposing those made if one fails). */
export function readSafetensorsTensors(
  file: string,
  header: SafetensorsHeader,
  { maxBytes = LIMITS.maxBytes }: LoadOptions = {},
): Record<string, tf.Tensor> {
  const entries = Object.entries(header.entries);
  const total = entries.reduce((sum, [, e]) => sum + (e.data_offsets[1] - e.data_offsets[0]), 0);
  checkBytes(file, total, maxBytes, 'maxBytes', 'the tensor data');
  const tensors = nullRecord<tf.Tensor>();
  const fd = fs.openSync(file, 'r');
  try {
    for (const [name, e] of entries) {
      const [begin, end] = e.data_offsets;
      const bytes = new Uint8Array(end - begin);
      const got = fs.readSync(fd, bytes, 0, bytes.length, header.dataStart + begin);
      if (got !== bytes.length)
        throw new InputError(file, `read ${got} of ${bytes.length} bytes of '${name}': the file was truncated`);
      tensors[name] = rawToTensor({ dtype: e.dtype, shape: e.shape, bytes });
    }
  } catch (e) {
    tf.dispose(Object.values(tensors));
    throw e;
  } finally {
    fs.closeSync(fd);
  }
  return tensors;
}

export interface Checkpoint<C> {
  config: C;
  tensors: Record<string, tf.Tensor>;
}

/**
 * Saves a checkpoint folder (`model.safetensors` + `config.json`) atomically as a whole: a
 * reader finds the complete previous checkpoint or the complete new one, also after a kill
 * (see atomic.ts).
 */
export async function saveCheckpoint<C>(dir: string, { config, tensors }: Checkpoint<C>): Promise<void> {
  const weights = await safetensorsBytes(tensors, { format: 'gensparse' });
  writeFolderAtomic(dir, { 'model.safetensors': weights, 'config.json': `${JSON.stringify(config, null, 2)}\n` });
}

/**
 * Loads a checkpoint folder written by `saveCheckpoint`: config.json must hold a JSON object,
 * and model.safetensors is checked against its size and `opts.maxBytes` before it is read.
 */
export function loadCheckpoint<C>(dir: string, opts: LoadOptions = {}): Checkpoint<C> {
  recoverFolder(dir); // finish a save that was killed mid-swap
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new InputError('dir', `${dir} has no config.json: not a checkpoint folder`);
  const config = readJsonObject(configFile, opts) as C;
  const { tensors } = loadSafetensors(path.join(dir, 'model.safetensors'), opts);
  return { config, tensors };
}

/**
 * Checkpoints on disk (Node only): a folder with `model.safetensors` (the parameters)
 * and `config.json` (everything needed to rebuild the model), each written atomically:
 * to a temporary file in the same folder, flushed, then renamed over the old one, so a
 * crash or a failed write leaves the previous checkpoint intact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { InputError } from './errors';
import {
  decodeSafetensors,
  encodeSafetensors,
  nullRecord,
  rawToTensor,
  tensorToRaw,
  type RawTensor,
} from './safetensors';

/** Writes `data` to `file` atomically (temp file + fsync + rename). */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Saves tensors to a .safetensors file atomically. */
export async function saveSafetensors(
  file: string,
  tensors: Record<string, tf.Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const raw: Record<string, RawTensor> = {};
  for (const [k, t] of Object.entries(tensors)) raw[k] = await tensorToRaw(t);
  writeFileAtomic(file, encodeSafetensors(raw, metadata));
}

/** Loads every tensor of a .safetensors file; the caller disposes them. */
export function loadSafetensors(file: string): {
  tensors: Record<string, tf.Tensor>;
  metadata: Record<string, string>;
} {
  if (!fs.existsSync(file)) throw new InputError('file', `no such file: ${file}`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  const decoded = decodeSafetensors(bytes);
  const tensors = nullRecord<tf.Tensor>();
  for (const [k, raw] of Object.entries(decoded.tensors)) tensors[k] = rawToTensor(raw);
  return { tensors, metadata: decoded.metadata };
}

export interface Checkpoint<C> {
  config: C;
  tensors: Record<string, tf.Tensor>;
}

/** Saves a checkpoint folder: `model.safetensors` then `config.json`, each atomically. */
export async function saveCheckpoint<C>(dir: string, { config, tensors }: Checkpoint<C>): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await saveSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'gensparse' });
  writeFileAtomic(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Loads a checkpoint folder written by `saveCheckpoint`. */
export function loadCheckpoint<C>(dir: string): Checkpoint<C> {
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new InputError('dir', `${dir} has no config.json: not a checkpoint folder`);
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as C;
  const { tensors } = loadSafetensors(path.join(dir, 'model.safetensors'));
  return { config, tensors };
}

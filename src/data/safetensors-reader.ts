/**
 * One tensor of a .safetensors file (huggingface/safetensors) as an ActivationSource, read in
 * windows so the file may be larger than memory (Node only). The header is read and checked
 * by the core's `readSafetensorsHeader` (its length against `maxHeaderBytes`, default 100 MB,
 * and the file size before it is allocated; offsets cover the data section exactly); see
 * src/core/safetensors.ts for the byte layout.
 *
 * Supported dtypes: F32, F16, BF16. A tensor of shape [a, b, ..., dim] is read as
 * rows = a * b * ... vectors of length dim.
 */
import { readSafetensorsHeader } from '../core/checkpoint';
import { InputError } from '../base/errors';
import type { SafetensorsHeaderOptions } from '../core/safetensors';
import { type RowElement, type RowFileOptions, RowFileSource } from './row-file';

const ELEMENTS: Partial<Record<string, RowElement>> = { F32: 'f32le', F16: 'f16le', BF16: 'bf16le' };

/** Options of `openSafetensors`. */
export interface SafetensorsSourceOptions extends RowFileOptions, SafetensorsHeaderOptions {
  /** Name of the tensor to read; may be omitted when the file holds exactly one. */
  tensor?: string;
}

export { readSafetensorsHeader };

/** A tensor of a .safetensors file as an ActivationSource. */
export class SafetensorsSource extends RowFileSource {
  /** Name of the tensor read. */
  readonly tensor: string;
  /** The tensor's full shape. */
  readonly shape: number[];

  constructor(
    readonly file: string,
    opts: SafetensorsSourceOptions = {},
  ) {
    const header = readSafetensorsHeader(file, opts);
    const names = Object.keys(header.entries);
    const name = opts.tensor ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      throw new InputError(
        'tensor',
        `${file} holds ${names.length} tensors (${names.join(', ') || 'none'}): name the one to read`,
      );
    }
    const entry = header.entries[name];
    if (!entry) throw new InputError('tensor', `no tensor '${name}' in ${file}; it holds: ${names.join(', ')}`);
    const element = ELEMENTS[entry.dtype];
    if (!element) throw new InputError(file, `tensor '${name}' has dtype ${entry.dtype}; supported: F32, F16, BF16`);
    if (entry.shape.length < 2) {
      throw new InputError(file, `tensor '${name}' has shape [${entry.shape}]; need [rows, dim] or [..., dim]`);
    }
    const dim = entry.shape[entry.shape.length - 1];
    const rows = entry.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    super({ file, dataOffset: header.dataStart + entry.data_offsets[0], element, rows, dim }, opts);
    this.tensor = name;
    this.shape = entry.shape.slice();
  }
}

/** Opens one tensor of a .safetensors file (F32, F16 or BF16) as an ActivationSource. */
export function openSafetensors(file: string, opts: SafetensorsSourceOptions = {}): SafetensorsSource {
  return new SafetensorsSource(file, opts);
}

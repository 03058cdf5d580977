/**
 * The IDX file format of MNIST and Fashion-MNIST (LeCun, Bottou, Bengio & Haffner 1998;
 * format described at yann.lecun.com/exdb/mnist), parsed from bytes so the browser can use it.
 *
 * Byte layout (all integers big-endian):
 *   [2 bytes]  0x00 0x00
 *   [1 byte]   type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
 *   [1 byte]   number of dimensions R
 *   [4R bytes] the sizes of the R dimensions, uint32 each
 *   [rest]     the values, C order (last dimension fastest)
 * MNIST images: type 0x08, R = 3, dims [count, 28, 28]; labels: type 0x08, R = 1, dims [count].
 */
import { InputError, checkInt, checkNumber, checkOneOf } from '../base/errors';
import { Rng } from '../core/random';

/** The element types an IDX file can hold, by type code. */
export const IDX_TYPES = {
  8: { name: 'uint8', bytes: 1 },
  9: { name: 'int8', bytes: 1 },
  11: { name: 'int16', bytes: 2 },
  12: { name: 'int32', bytes: 4 },
  13: { name: 'float32', bytes: 4 },
  14: { name: 'float64', bytes: 8 },
} as const;

/** A parsed IDX array: its dimensions and its values (uint8 data stays a view into the input). */
export interface IdxArray {
  dims: number[];
  dtype: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/**
 * Parses an uncompressed IDX file. Checks the magic number, that the dimensions fit the
 * byte count exactly, and (with `expectDims`) the dimensions themselves (null = any size).
 * Gzipped files (first bytes 1f 8b) must be decompressed first; the error says so.
 */
export function parseIdx(bytes: Uint8Array, expectDims?: (number | null)[], name = 'idx'): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new InputError(name, 'bytes are gzip-compressed (magic 1f 8b): decompress before parsing');
  }
  if (bytes.length < 4)
    throw new InputError(name, `file is ${bytes.length} bytes: too short for the 4-byte IDX magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new InputError(
      name,
      `magic number starts ${hex(bytes[0])} ${hex(bytes[1])}, expected 00 00: not an IDX file`,
    );
  }
  const typeCode = bytes[2] as keyof typeof IDX_TYPES;
  const type = IDX_TYPES[typeCode];
  if (!type) throw new InputError(name, `unknown IDX type code ${hex(bytes[2])}; known: 08, 09, 0b, 0c, 0d, 0e`);
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes)
    throw new InputError(
      name,
      `header needs ${headerBytes} bytes for ${rank} dimensions, file has ${bytes.length}: truncated`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let r = 0; r < rank; r++) dims.push(view.getUint32(4 + 4 * r, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const want = headerBytes + count * type.bytes;
  if (bytes.length !== want) {
    throw new InputError(
      name,
      `dims [${dims}] of ${type.name} need ${want} bytes, file has ${bytes.length}: ${bytes.length < want ? 'truncated' : 'corrupted'} file`,
    );
  }
  if (expectDims && (expectDims.length !== rank || expectDims.some((e, i) => e !== null && e !== dims[i]))) {
    throw new InputError(name, `expected dims [${expectDims.map((e) => e ?? '*')}], got [${dims}]`);
  }
  const body = bytes.subarray(headerBytes);
  let data: IdxArray['data'];
  switch (type.name) {
    case 'uint8':
      data = body;
      break;
    case 'int8':
      data = new Int8Array(body.buffer, body.byteOffset, count);
      break;
    default: {
      // Multi-byte values are big-endian: read them one by one.
      const out =
        type.name === 'int16'
          ? new Int16Array(count)
          : type.name === 'int32'
            ? new Int32Array(count)
            : type.name === 'float32'
              ? new Float32Array(count)
              : new Float64Array(count);
      const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let i = 0; i < count; i++) {
        out[i] =
          type.name === 'int16'
            ? bv.getInt16(2 * i, false)
            : type.name === 'int32'
              ? bv.getInt32(4 * i, false)
              : type.name === 'float32'
                ? bv.getFloat32(4 * i, false)
                : bv.getFloat64(8 * i, false);
      }
      data = out;
    }
  }
  return { dims, dtype: type.name, data };
}

/** How images are binarised: not at all, at a fixed threshold, or x ~ Bernoulli(pixel) with a seed. */
export type BinarizeMode = 'none' | 'fixed' | 'stochastic';

/** A set of grey-scale images, row-major `[count * height * width]` floats in [0, 1]. */
export interface ImageSet {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/** Options shared by the image loaders. */
export interface ImageOptions {
  /** Keep only the first `limit` images (default: all). */
  limit?: number;
  /** 'none' (default): pixel / 255; 'fixed': 1 where pixel / 255 > threshold; 'stochastic': Bernoulli(pixel / 255). */
  binarize?: BinarizeMode;
  /** Threshold for 'fixed' binarisation, in [0, 1) (default 0.5). */
  threshold?: number;
  /** Seed for 'stochastic' binarisation (default 0); the same seed gives the same bits. */
  seed?: number;
}

/**
 * Builds an ImageSet from the parsed images `[count, h, w]` (uint8) and labels `[count]`:
 * scales pixels to [0, 1] and optionally binarises them. 'stochastic' follows the
 * dynamically binarised MNIST of Salakhutdinov & Murray (2008): each pixel is 1 with
 * probability equal to its grey level.
 */
export function toImageSet(images: IdxArray, labels: IdxArray, opts: ImageOptions = {}): ImageSet {
  const { binarize: mode = 'none', threshold = 0.5, seed = 0 } = opts;
  checkOneOf('binarize', mode, ['none', 'fixed', 'stochastic']);
  checkNumber('threshold', threshold, { min: 0, max: 1, maxOpen: true });
  if (images.dtype !== 'uint8' || images.dims.length !== 3)
    throw new InputError('images', `expected uint8 [count, h, w], got ${images.dtype} [${images.dims}]`);
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1)
    throw new InputError('labels', `expected uint8 [count], got ${labels.dtype} [${labels.dims}]`);
  const [total, height, width] = images.dims;
  if (labels.dims[0] !== total) throw new InputError('labels', `${labels.dims[0]} labels for ${total} images`);
  const count = opts.limit === undefined ? total : checkInt('limit', opts.limit, 1, total);
  const pixels = count * height * width;
  const src = images.data as Uint8Array;
  const grey = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) grey[i] = src[i] / 255;
  let out: Float32Array = grey;
  if (mode === 'fixed') out = grey.map((g) => (g > threshold ? 1 : 0));
  else if (mode === 'stochastic') out = binarize(grey, new Rng(seed));
  return { images: out, labels: Uint8Array.from((labels.data as Uint8Array).subarray(0, count)), count, height, width };
}

/**
 * A stochastic binarisation x_bin ~ Bernoulli(x) for [0, 1] data (Salakhutdinov & Murray 2008;
 * the "binarised MNIST" of the VAE/IWAE papers): drawn once with a fixed seed for a test set
 * (`binarize: 'stochastic'` above), or afresh for each training batch (the VAE trainer's 'dynamic').
 */
export function binarize(x: Float32Array, rng: Rng): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = rng.uniform() < x[i] ? 1 : 0;
  return out;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

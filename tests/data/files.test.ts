import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../../src/core/random';
import { encodeSafetensors, float16ToFloat32 } from '../../src/core/safetensors';
import {
  NpyWriter,
  encodeNpy,
  float32ToFloat16,
  npyHeader,
  openNpy,
  parseNpyHeader,
  writeNpy,
} from '../../src/data/npy';
import { openSafetensors } from '../../src/data/safetensors-reader';
import { ActivationBuffer } from '../../src/data/buffer';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-data-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Replaces `from` by `to` (same length) inside a file's header bytes. */
function patchHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const out = bytes.slice();
  const at = new TextDecoder('latin1').decode(out).indexOf(from);
  if (at < 0 || from.length !== to.length) throw new Error(`cannot patch ${from}`);
  out.set(new TextEncoder().encode(to), at);
  return out;
}

function randomRows(seed: number, n: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** The nearest half-precision value by brute force over all 65536 bit patterns (ties to even bits). */
function nearestHalf(v: number): number {
  let best = 0;
  let bestErr = Infinity;
  for (let h = 0; h < 0x10000; h++) {
    const f = float16ToFloat32(h);
    if (!Number.isFinite(f)) continue;
    const err = Math.abs(f - v);
    if (err < bestErr || (err === bestErr && (h & 1) === 0 && (best & 1) === 1 && Math.sign(f) === Math.sign(v))) {
      best = h;
      bestErr = err;
    }
  }
  return float16ToFloat32(best);
}

describe('.npy', () => {
  test('round-trips float32 through a small read window, wrapping at the end of the file', () => {
    const data = randomRows(1, 37 * 5);
    const file = path.join(dir, 'a.npy');
    writeNpy(file, data, [37, 5]);
    // The header NumPy would write: padded to a multiple of 64 bytes, ends in a newline.
    const bytes = fs.readFileSync(file);
    const header = parseNpyHeader(bytes);
    expect(header).toEqual({ version: 1, descr: '<f4', fortranOrder: false, shape: [37, 5], dataOffset: 128 });
    expect(bytes[127]).toBe(0x0a);
    const src = openNpy(file, { windowBytes: 3 * 5 * 4 }); // three rows per read
    expect([src.rows, src.dim]).toEqual([37, 5]);
    const first = src.nextBatch(30);
    expect(first).toEqual(data.subarray(0, 150));
    const wrap = src.nextBatch(10); // 7 rows, then rows 0..2 again
    expect(wrap.subarray(0, 35)).toEqual(data.subarray(150));
    expect(wrap.subarray(35)).toEqual(data.subarray(0, 15));
    expect(src.epoch).toBe(1);
    expect(src.readRows(10, 4)).toEqual(data.subarray(50, 70));
    src.close();
    expect(() => src.nextBatch(1)).toThrow(/closed/);
  });

  test('float16 round-trip (version 2 and 3 headers), rounding to the nearest half', () => {
    const data = randomRows(2, 12 * 4);
    data[0] = 65504;
    data[1] = -6.0e-8;
    data[2] = 1e-5;
    data[3] = 0; // largest half, subnormals, zero
    for (const version of [2, 3] as const) {
      const file = path.join(dir, `h${version}.npy`);
      fs.writeFileSync(file, encodeNpy(data, [3, 4, 4], 'float16', version));
      const src = openNpy(file);
      expect(src.header.version).toBe(version);
      expect([src.rows, src.dim]).toEqual([12, 4]); // [3, 4, 4] read as 12 rows of 4
      const back = src.nextBatch(12);
      for (let i = 0; i < data.length; i++) expect(back[i] + 0).toBe(nearestHalf(data[i]) + 0);
      src.close();
    }
  });

  test('float32ToFloat16 agrees with a brute-force nearest search, ties to even, overflow to Infinity', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 60; i++) {
      const v = rng.normal() * 2 ** (rng.int(40) - 26);
      expect(float16ToFloat32(float32ToFloat16(v)) + 0).toBe(nearestHalf(v) + 0); // + 0 equates -0 and 0
    }
    expect(float16ToFloat32(float32ToFloat16(1 + 2 ** -11))).toBe(1); // halfway between 1 and 1+2^-10: even wins
    expect(float16ToFloat32(float32ToFloat16(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(float16ToFloat32(float32ToFloat16(70000))).toBe(Infinity);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(NaN)))).toBe(true);
  });

  test('big-endian float32 is read correctly', () => {
    const data = randomRows(3, 6);
    const le = encodeNpy(data, [2, 3]);
    const be = patchHeader(le, "'<f4'", "'>f4'");
    const header = parseNpyHeader(be);
    for (let i = 0; i < 6; i++) new DataView(be.buffer).setFloat32(header.dataOffset + 4 * i, data[i], false);
    const file = path.join(dir, 'be.npy');
    fs.writeFileSync(file, be);
    expect(openNpy(file).nextBatch(2)).toEqual(data);
  });

  test("the streaming writer produces a file the reader (and NumPy's header rules) accept", () => {
    const file = path.join(dir, 'stream.npy');
    const w = new NpyWriter(file, 3);
    const a = randomRows(4, 9);
    const b = randomRows(5, 6);
    w.append(a);
    w.append(b);
    w.close();
    const src = openNpy(file);
    expect(src.header.shape).toEqual([5, 3]);
    expect(src.header.dataOffset % 64).toBe(0);
    expect(src.nextBatch(5)).toEqual(Float32Array.from([...a, ...b]));
    expect(() => w.append(a)).toThrow(/closed/);
  });

  test('an npy file works behind the shuffling buffer: one pass returns every row once', () => {
    const n = 50;
    const data = Float32Array.from({ length: n * 2 }, (_, i) => Math.floor(i / 2));
    const file = path.join(dir, 'ids.npy');
    writeNpy(file, data, [n, 2]);
    const buf = new ActivationBuffer({ source: openNpy(file, { windowBytes: 64 }), capacity: n, refillAt: 0, seed: 1 });
    const out = buf.nextBatch(n);
    const ids = Array.from({ length: n }, (_, i) => out[2 * i]).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  describe('rejects bad files with clear errors', () => {
    const data = randomRows(6, 20);
    const good = () => encodeNpy(data, [4, 5]);
    const write = (name: string, bytes: Uint8Array) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, bytes);
      return f;
    };

    test('truncated data, truncated header, trailing bytes', () => {
      expect(() => openNpy(write('t1.npy', good().subarray(0, 64 + 79)))).toThrow(/truncated/);
      expect(() => openNpy(write('t2.npy', good().subarray(0, 40)))).toThrow(/truncated/);
      expect(() => openNpy(write('t3.npy', good().subarray(0, 8)))).toThrow(/truncated/);
      expect(() => openNpy(write('t4.npy', Uint8Array.from([...good(), 1, 2, 3, 4])))).toThrow(/trailing bytes/);
    });

    test('bad magic, unknown version, garbled header', () => {
      const magic = good();
      magic[1] = 0x41;
      expect(() => openNpy(write('m.npy', magic))).toThrow(/not a .npy file/);
      const ver = good();
      ver[6] = 4;
      expect(() => openNpy(write('v.npy', ver))).toThrow(/version 4.0 is not supported/);
      const garbled = good();
      garbled.fill(0x3f, 12, 40);
      expect(() => openNpy(write('g.npy', garbled))).toThrow(/corrupted/);
    });

    test('Fortran order and unsupported dtypes name the fix', () => {
      expect(() => openNpy(write('f.npy', patchHeader(good(), 'False', 'True ')))).toThrow(
        /Fortran .*ascontiguousarray/,
      );
      const f8 = Uint8Array.from([...npyHeader([4, 5]), ...new Uint8Array(160)]);
      expect(() => openNpy(write('f8.npy', patchHeader(f8, "'<f4'", "'<f8'")))).toThrow(
        /dtype '<f8' is not supported.*astype\(np.float32\)/,
      );
      expect(() => openNpy(write('i4.npy', patchHeader(good(), "'<f4'", "'<i4'")))).toThrow(/'<i4' is not supported/);
    });

    test('one-dimensional arrays need a row dimension', () => {
      expect(() => openNpy(write('1d.npy', encodeNpy(data, [20])))).toThrow(/need \[rows, dim\]/);
    });
  });
});

describe('.safetensors', () => {
  function raw(dtype: 'F32' | 'F16' | 'BF16' | 'I32', shape: number[], values: Float32Array) {
    const n = values.length;
    const bytes = new Uint8Array(n * (dtype === 'F32' || dtype === 'I32' ? 4 : 2));
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      if (dtype === 'F32') v.setFloat32(4 * i, values[i], true);
      else if (dtype === 'I32') v.setInt32(4 * i, values[i], true);
      else if (dtype === 'F16') v.setUint16(2 * i, float32ToFloat16(values[i]), true);
      else {
        const f = new Float32Array([values[i]]);
        v.setUint16(2 * i, new Uint32Array(f.buffer)[0] >>> 16, true);
      }
    }
    return { dtype, shape, bytes };
  }

  test('reads a named F32 tensor in windows; F16 and BF16 tensors decode to their rounded values', () => {
    const acts = randomRows(7, 23 * 6);
    const half = randomRows(8, 4 * 6);
    const file = path.join(dir, 'acts.safetensors');
    fs.writeFileSync(
      file,
      encodeSafetensors(
        {
          acts: raw('F32', [23, 6], acts),
          half: raw('F16', [2, 2, 6], half),
          brain: raw('BF16', [4, 6], half),
          bias: raw('F32', [6], acts.subarray(0, 6)),
        },
        { layer: '3' },
      ),
    );
    const src = openSafetensors(file, { tensor: 'acts', windowBytes: 100 });
    expect([src.rows, src.dim, src.tensor]).toEqual([23, 6, 'acts']);
    expect(src.nextBatch(23)).toEqual(acts);
    expect(src.nextBatch(1)).toEqual(acts.subarray(0, 6));
    const h = openSafetensors(file, { tensor: 'half' });
    expect([h.rows, h.dim]).toEqual([4, 6]);
    expect(h.nextBatch(4)).toEqual(Float32Array.from(half, (x) => float16ToFloat32(float32ToFloat16(x))));
    const b = openSafetensors(file, { tensor: 'brain' }).nextBatch(4);
    // BF16 keeps the top 16 bits of the float32 (truncation in this writer): relative error < 2^-7.
    for (let i = 0; i < half.length; i++)
      expect(Math.abs(b[i] - half[i])).toBeLessThanOrEqual(Math.abs(half[i]) * 2 ** -7);
    expect(() => openSafetensors(file)).toThrow(/holds 4 tensors .*name the one/);
    expect(() => openSafetensors(file, { tensor: 'nope' })).toThrow(/no tensor 'nope'/);
    expect(() => openSafetensors(file, { tensor: 'bias' })).toThrow(/need \[rows, dim\]/);
  });

  test('a single-tensor file needs no name; unsupported dtypes, truncation and corruption are rejected', () => {
    const vals = randomRows(9, 8);
    const bytes = encodeSafetensors({ x: raw('F32', [2, 4], vals) });
    const write = (name: string, b: Uint8Array) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, b);
      return f;
    };
    expect(openSafetensors(write('one.safetensors', bytes)).nextBatch(2)).toEqual(vals);
    expect(() => openSafetensors(write('i32.safetensors', encodeSafetensors({ x: raw('I32', [2, 4], vals) })))).toThrow(
      /dtype I32; supported: F32, F16, BF16/,
    );
    expect(() => openSafetensors(write('trunc.safetensors', bytes.subarray(0, bytes.length - 3)))).toThrow(/truncated/);
    expect(() => openSafetensors(write('short.safetensors', bytes.subarray(0, 5)))).toThrow(/too short/);
    expect(() => openSafetensors(write('hdr.safetensors', bytes.subarray(0, 20)))).toThrow(/truncated/);
    const garbled = bytes.slice();
    garbled[9] = 0xff;
    expect(() => openSafetensors(write('garbled.safetensors', garbled))).toThrow(/not valid UTF-8 JSON/);
    expect(() => openSafetensors(write('extra.safetensors', Uint8Array.from([...bytes, 0, 0])))).toThrow(/corrupted/);
  });
});

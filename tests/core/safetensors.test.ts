import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Rng,
  decodeSafetensors,
  encodeSafetensors,
  rawToTypedArray,
  loadCheckpoint,
  loadSafetensors,
  saveCheckpoint,
  saveSafetensors,
  InputError,
  type RawTensor,
  float16ToFloat32,
} from '../../src';
import { tempDir } from '../setup/temp-dir';

const tmp = () => tempDir('gensparse-st-');

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

describe('safetensors', () => {
  test('round trip of several dtypes and shapes is bit-exact', () => {
    const rng = new Rng(11);
    const tensors: Record<string, RawTensor> = {
      w_f32: { dtype: 'F32', shape: [3, 5], bytes: randomBytes(rng, 60) },
      b_f16: { dtype: 'F16', shape: [7], bytes: randomBytes(rng, 14) },
      h_bf16: { dtype: 'BF16', shape: [2, 2, 2], bytes: randomBytes(rng, 16) },
      d_f64: { dtype: 'F64', shape: [1, 3], bytes: randomBytes(rng, 24) },
      i_i32: { dtype: 'I32', shape: [4], bytes: randomBytes(rng, 16) },
      l_i64: { dtype: 'I64', shape: [2], bytes: randomBytes(rng, 16) },
      u_u8: { dtype: 'U8', shape: [5], bytes: randomBytes(rng, 5) },
      s_scalar: { dtype: 'F32', shape: [], bytes: randomBytes(rng, 4) },
      e_empty: { dtype: 'F32', shape: [0, 4], bytes: new Uint8Array(0) },
    };
    const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'hello' });
    const header = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + header) % 8).toBe(0); // data section aligned
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', note: 'hello' });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(back.tensors[name].dtype).toBe(t.dtype);
      expect(back.tensors[name].shape).toEqual(t.shape);
      expect(Array.from(back.tensors[name].bytes)).toEqual(Array.from(t.bytes));
    }
  });

  test('tfjs tensors round-trip through a file bit-exactly (float32, int32, bool)', async () => {
    const dir = tmp();
    const rng = new Rng(5);
    const f = rng.randomNormal([4, 6]);
    const i = tf.tensor(
      [
        [-3, 7],
        [2147483647, -2147483648],
      ],
      undefined,
      'int32',
    );
    const b = tf.tensor([true, false, true], undefined, 'bool');
    await saveSafetensors(path.join(dir, 'x.safetensors'), { f, i, b });
    const { tensors } = loadSafetensors(path.join(dir, 'x.safetensors'));
    expect(tensors.f.dtype).toBe('float32');
    expect(new Uint32Array(tensors.f.dataSync().buffer)).toEqual(new Uint32Array(f.dataSync().slice().buffer));
    expect(tensors.i.dataSync()).toEqual(i.dataSync());
    expect(tensors.b.dtype).toBe('bool');
    expect(Array.from(tensors.b.dataSync())).toEqual([1, 0, 1]);
    tf.dispose([f, i, b, ...Object.values(tensors)]);
  });

  test('a file written by hand in the byte layout loads', () => {
    // Header: {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}
    const json =
      '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}';
    const headerBytes = Buffer.from(json, 'utf8');
    const data = Buffer.alloc(12);
    data.writeFloatLE(1.5, 0);
    data.writeFloatLE(-2.25, 4);
    data.writeUInt16LE(0x3c00, 8); // 1.0 in half precision
    data.writeUInt16LE(0xc000, 10); // -2.0
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    const file = path.join(tmp(), 'hand.safetensors');
    fs.writeFileSync(file, Buffer.concat([len, headerBytes, data]));
    const { tensors, metadata } = loadSafetensors(file);
    expect(metadata).toEqual({ k: 'v' });
    expect(Array.from(tensors.a.dataSync())).toEqual([1.5, -2.25]);
    expect(Array.from(tensors.h.dataSync())).toEqual([1, -2]);
    tf.dispose(Object.values(tensors));
  });

  test('half-precision decoding matches known bit patterns', () => {
    expect(float16ToFloat32(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(float16ToFloat32(0x7bff)).toBe(65504);
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(float16ToFloat32(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(float16ToFloat32(0x7e00))).toBe(true);
    // BF16 is the top half of a float32.
    const f32 = new Float32Array([3.140625]);
    const top = new Uint16Array(f32.buffer)[1];
    const raw: RawTensor = { dtype: 'BF16', shape: [1], bytes: new Uint8Array(new Uint16Array([top]).buffer) };
    expect(rawToTypedArray(raw)[0]).toBe(3.140625);
  });

  test('truncated and corrupted files are rejected with a clear error', () => {
    const rng = new Rng(2);
    const good = encodeSafetensors({ w: { dtype: 'F32', shape: [8, 8], bytes: randomBytes(rng, 256) } });
    expect(() => decodeSafetensors(good.subarray(0, 5))).toThrow(/too short/);
    expect(() => decodeSafetensors(good.subarray(0, 40))).toThrow(/truncated/);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 1))).toThrow(/truncated file/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(() => decodeSafetensors(longer)).toThrow(/corrupted file/);
    const badJson = good.slice();
    badJson[9] = 0x7b; // '{' where '"' was: no longer valid JSON
    badJson[10] = 0x7b;
    expect(() => decodeSafetensors(badJson)).toThrow(/not valid UTF-8 JSON/);
    const hugeHeader = good.slice();
    new DataView(hugeHeader.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(hugeHeader)).toThrow(/not a safetensors file or corrupted/);
    const enc = (h: object, n: number) => {
      const hb = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(hb.length));
      return new Uint8Array(Buffer.concat([len, hb, Buffer.alloc(n)]));
    };
    expect(() => decodeSafetensors(enc({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8))).toThrow(
      /w: unsupported or missing dtype 'C64'/,
    );
    expect(() => decodeSafetensors(enc({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8))).toThrow(
      /do not span 12 bytes/,
    );
    expect(() =>
      decodeSafetensors(
        enc(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          12,
        ),
      ),
    ).toThrow(/overlapping or gapped/);
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [3], bytes: new Uint8Array(8) } })).toThrow(InputError);
  });
});

describe('checkpoints', () => {
  test('save and load a checkpoint folder', async () => {
    const dir = path.join(tmp(), 'ckpt');
    const rng = new Rng(1);
    const w = rng.randomNormal([3, 4]);
    await saveCheckpoint(dir, { config: { kind: 'test', hidden: [4] }, tensors: { w } });
    const back = loadCheckpoint<{ kind: string; hidden: number[] }>(dir);
    expect(back.config).toEqual({ kind: 'test', hidden: [4] });
    expect(back.tensors.w.dataSync()).toEqual(w.dataSync());
    tf.dispose([w, back.tensors.w]);
    expect(() => loadCheckpoint(path.join(dir, 'nope'))).toThrow(/no config.json/);
  });
});

/** A safetensors buffer from a header given as JSON text (so any key, `__proto__` included, can be written). */
function rawFile(headerJson: string, data: Uint8Array): Uint8Array {
  const hb = Buffer.from(headerJson);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  return new Uint8Array(Buffer.concat([len, hb, data]));
}

describe('prototype keys and metadata', () => {
  const values = new Float32Array([0.25, -1.5, 3]);
  const bytes = new Uint8Array(values.buffer);

  test('a tensor named __proto__ (or constructor) is kept as an ordinary name, in bytes and through a file', () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const file = rawFile(`{"${name}":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, bytes);
      const { tensors } = decodeSafetensors(file);
      expect(Object.keys(tensors)).toEqual([name]);
      expect(Object.getOwnPropertyDescriptor(tensors, name)).toBeDefined();
      expect(Array.from(rawToTypedArray(tensors[name]))).toEqual(Array.from(values));
      // Written back, the name survives (the encoder used to set a prototype instead of a key).
      const again = decodeSafetensors(encodeSafetensors(tensors));
      expect(Object.keys(again.tensors)).toEqual([name]);
      expect(Array.from(again.tensors[name].bytes)).toEqual(Array.from(bytes));
      const f = path.join(tmp(), 'proto.safetensors');
      fs.writeFileSync(f, file);
      const loaded = loadSafetensors(f);
      expect(Object.keys(loaded.tensors)).toEqual([name]);
      expect(Array.from(loaded.tensors[name].dataSync())).toEqual(Array.from(values));
      tf.dispose(Object.values(loaded.tensors));
    }
  });

  test('__metadata__ must map strings to strings', () => {
    const entry = '"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}';
    const ok = decodeSafetensors(rawFile(`{"__metadata__":{"format":"pt","__proto__":"x"},${entry}}`, bytes));
    expect(ok.metadata.format).toBe('pt');
    expect(Object.keys(ok.metadata)).toEqual(['format', '__proto__']);
    for (const [meta, err] of [
      ['{"step":1}', /__metadata__\.step: must be a string, got 1/],
      ['{"a":null}', /__metadata__\.a: must be a string, got null/],
      ['{"a":{"b":"c"}}', /__metadata__\.a: must be a string/],
      ['[]', /__metadata__: must be an object of string values, got \[\]/],
      ['"pt"', /__metadata__: must be an object of string values, got "pt"/],
    ] as const) {
      expect(() => decodeSafetensors(rawFile(`{"__metadata__":${meta},${entry}}`, bytes))).toThrow(err);
    }
    expect(() => encodeSafetensors({}, { step: 3 as unknown as string })).toThrow(/__metadata__\.step/);
  });

  test('sizes beyond exact integers in a header are refused by name', () => {
    const huge = rawFile('{"w":{"dtype":"F32","shape":[1e300],"data_offsets":[0,4e300]}}', new Uint8Array(0));
    expect(() => decodeSafetensors(huge)).toThrow(/w: shape must be a list of non-negative integers/);
    const big = rawFile(
      '{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,1]}}',
      new Uint8Array(0),
    );
    expect(() => decodeSafetensors(big)).toThrow(/w: F64 \[4294967296,4294967296\] would need .* bytes/);
  });
});

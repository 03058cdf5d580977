/**
 * Sizes read from files and configs are checked against the file's real size and a documented,
 * overridable limit before anything is allocated (src/core/limits.ts). The oversized files are
 * sparse (declared sizes up to 2 GB, almost nothing on disk); a guard makes any allocation over
 * 64 MiB fail the test instead of happening, so no test here allocates more than a few MB.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, LIMITS } from '../../src/core';
import { loadSafetensors } from '../../src/core/checkpoint';
import { Rng } from '../../src/core/random';
import { encodeSafetensors } from '../../src/core/safetensors';
import { ActivationBuffer } from '../../src/data/buffer';
import { encodeNpy, openNpy } from '../../src/data/npy';
import { openSafetensors } from '../../src/data/safetensors-reader';
import { ArraySource } from '../../src/data/source';
import { loadSaeLens } from '../../src/sae/saelens';
import { Vae, vaeParamCount, resolveVaeConfig } from '../../src/vae/model';

const GUARD_BYTES = 64 * 2 ** 20;

// Reading a whole file into memory is the allocation these loaders must avoid: refuse large ones.
jest.mock('node:fs', () => {
  const real = jest.requireActual('node:fs');
  return {
    ...real,
    readFileSync: (file: string, ...rest: unknown[]) => {
      if (typeof file === 'string' && real.statSync(file).size > 64 * 2 ** 20)
        throw new Error(`test guard: readFileSync of a ${real.statSync(file).size}-byte file`);
      return real.readFileSync(file, ...rest);
    },
  };
});
const fs: typeof import('fs') = require('node:fs');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-limits-'));
  for (const name of ['alloc', 'allocUnsafe'] as const) {
    const real = Buffer[name].bind(Buffer) as (n: number) => Buffer;
    jest.spyOn(Buffer, name).mockImplementation(((n: number, ...rest: unknown[]) => {
      if (n > GUARD_BYTES) throw new Error(`test guard: Buffer.${name}(${n})`);
      return (real as (...a: unknown[]) => Buffer)(n, ...rest);
    }) as typeof Buffer.alloc);
  }
});
afterAll(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A file of `size` bytes (sparse past `head`) starting with `head`. */
function sparseFile(name: string, head: Uint8Array, size: number): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, head);
  fs.truncateSync(f, size);
  return f;
}

/** The first bytes of a safetensors file: the 8-byte length, then the header JSON. */
function safetensorsHead(header: object | string, declaredLength?: number): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.from(new Uint8Array(8));
  len.writeBigUInt64LE(BigInt(declaredLength ?? json.length));
  return new Uint8Array(Buffer.concat([len, json]));
}

describe('safetensors', () => {
  test('a declared 1.5 GB header in a 2 GB file is refused by its limit before it is allocated', () => {
    const f = sparseFile('huge-header.safetensors', safetensorsHead('{', 1.5e9), 2e9);
    expect(() => openSafetensors(f)).toThrow(InputError);
    expect(() => openSafetensors(f)).toThrow(/header length 1500000000 exceeds the limit of 100000000 bytes/);
    expect(() => loadSafetensors(f)).toThrow(/maxHeaderBytes/);
    // The limit is overridable: raised, the same file is read up to the (real) header's end and fails on its JSON.
    const small = sparseFile('big-header.safetensors', safetensorsHead('{"w":', 1000), 2000);
    expect(() => openSafetensors(small, { maxHeaderBytes: 100 })).toThrow(/exceeds the limit of 100 bytes/);
    expect(() => openSafetensors(small, { maxHeaderBytes: 1000 })).toThrow(/not valid UTF-8 JSON/);
  });

  test('a header length past the end of the file is refused before anything is allocated', () => {
    const f = sparseFile('short.safetensors', safetensorsHead('{}', 50_000_000), 100);
    expect(() => openSafetensors(f)).toThrow(/exceeds the 92 bytes that follow: truncated/);
    expect(() => loadSafetensors(f)).toThrow(/exceeds the 92 bytes that follow: truncated/);
  });

  test('loadSafetensors checks the data against the file and maxBytes before reading it (no whole-file read)', () => {
    // A 1 GiB tensor declared in a sparse file of exactly the right size.
    const header = { w: { dtype: 'F32', shape: [2 ** 28], data_offsets: [0, 2 ** 30] } };
    const head = safetensorsHead(header);
    const f = sparseFile('big-data.safetensors', head, head.length + 2 ** 30);
    expect(() => loadSafetensors(f, { maxBytes: 2 ** 26 })).toThrow(
      /the tensor data is 1 GiB, over the limit of 64 MiB \(maxBytes; raise it to read it\)/,
    );
    // Truncated: the header promises more than the file holds.
    const t = sparseFile('truncated-data.safetensors', head, head.length + 1000);
    expect(() => loadSafetensors(t)).toThrow(
      /data section is 1000 bytes but the header describes 1073741824: truncated/,
    );
  });

  test('a file loads tensor by tensor, bit-exactly, and a directory or missing file is named', () => {
    const rng = new Rng(5);
    const a = Float32Array.from({ length: 12 }, () => rng.normal());
    const b = Float32Array.from({ length: 5 }, () => rng.normal());
    const f = path.join(dir, 'ok.safetensors');
    fs.writeFileSync(
      f,
      encodeSafetensors({
        a: { dtype: 'F32', shape: [3, 4], bytes: new Uint8Array(a.buffer) },
        b: { dtype: 'F32', shape: [5], bytes: new Uint8Array(b.buffer) },
      }),
    );
    const { tensors } = loadSafetensors(f);
    expect(Array.from(tensors.a.dataSync())).toEqual(Array.from(a));
    expect(Array.from(tensors.b.dataSync())).toEqual(Array.from(b));
    tf.dispose(Object.values(tensors));
    expect(() => loadSafetensors(dir)).toThrow(`${dir}: is a directory, expected a file`);
    expect(() => loadSafetensors(path.join(dir, 'nope'))).toThrow(/nope: no such file/);
  });
});

/** A version 1.0 .npy header around a hand-written dict, padded to `total` bytes (default: to 64, as NumPy does). */
function npyWithDict(dict: string, dataBytes = 32, total = Math.ceil((10 + dict.length + 1) / 64) * 64): Uint8Array {
  const out = new Uint8Array(total + dataBytes);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, total - 10, true);
  const body = `${dict.padEnd(total - 11)}\n`;
  for (let i = 0; i < body.length; i++) out[10 + i] = body.charCodeAt(i);
  return out;
}

describe('.npy', () => {
  test('a header length past the end of the file is an InputError, not an allocation', () => {
    const head = encodeNpy(new Float32Array(8), [2, 4], 'float32', 2).slice(0, 12);
    new DataView(head.buffer).setUint32(8, 2 ** 32 - 1, true); // version 2: a 4 GiB header
    const f = sparseFile('huge-header.npy', head, 100);
    expect(() => openNpy(f)).toThrow(InputError);
    expect(() => openNpy(f)).toThrow(/header length 4294967307 exceeds the file's 100 bytes/);
  });

  test("a header over NumPy's 10,000-byte limit is refused unless maxHeaderBytes is raised", () => {
    // The dict of a [2, 4] float32 array padded to 20,032 bytes (64-byte aligned, as NumPy would).
    const big = npyWithDict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", 32, 20_032);
    const f = path.join(dir, 'big-header.npy');
    fs.writeFileSync(f, big);
    expect(() => openNpy(f)).toThrow(/the header is 19.56 KiB, over the limit of 9.766 KiB \(maxHeaderBytes/);
    const src = openNpy(f, { maxHeaderBytes: 30_000 });
    expect(src.rows).toBe(2);
    src.close();
  });

  test('a shape beyond exact integers is refused by name', () => {
    const f = path.join(dir, 'odd-shape.npy');
    for (const shape of ['(1e300, 4)', '(99999999999999999999, 4)']) {
      fs.writeFileSync(f, npyWithDict(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`));
      expect(() => openNpy(f)).toThrow(/is not a tuple of non-negative integers: corrupted file/);
    }
  });
});

describe('models', () => {
  test('sizes like 1e300 and models over maxParameters are ConfigErrors before any allocation', () => {
    const rng = new Rng(0);
    const before = tf.memory().numTensors;
    expect(() => new Vae({ inputDim: 1e300 }, rng)).toThrow(ConfigError);
    expect(() => new Vae({ inputDim: 1e300 }, rng)).toThrow(/^inputDim: must be an integer in \[1, 268435456\]/);
    expect(() => new Vae({ hidden: [1e300] }, rng)).toThrow(/^hidden\[0\]: must be an integer/);
    expect(() => new Vae({ inputDim: 1e5, hidden: [2e4] }, rng)).toThrow(
      /^config: gives 4\.001e\+9 parameters \(14\.91 GiB as float32\), over the limit of 268435456 \(maxParameters/,
    );
    expect(() => new Vae({ inputDim: 100, hidden: [50] }, rng, { maxParameters: 1000 })).toThrow(
      /over the limit of 1000/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  test('vaeParamCount (the count the limit is checked against) equals the built model, mlp and conv', () => {
    for (const config of [
      { inputDim: 12, latentDim: 3, hidden: [8, 6] },
      { inputDim: 5, latentDim: 2, hidden: [] },
      { arch: 'conv' as const, inputDim: 784, latentDim: 4, hidden: [16], convChannels: [3, 5] as [number, number] },
    ]) {
      const vae = new Vae(config, new Rng(1));
      expect(vaeParamCount(resolveVaeConfig(config))).toBe(vae.params.size());
      vae.dispose();
    }
  });

  test('a VAE config that is null, has an unknown field or malformed channels is refused by name', () => {
    expect(() => new Vae(null as never, new Rng(0))).toThrow(
      /^config: must be an object of VaeConfig fields, got null/,
    );
    expect(() => new Vae({ latentDims: 3 } as never, new Rng(0))).toThrow(
      /^latentDims: is not a VaeConfig field; the fields are arch, inputDim, latentDim, hidden/,
    );
    expect(() => new Vae({ convChannels: 8 } as never, new Rng(0))).toThrow(
      /^convChannels: must be two channel counts/,
    );
  });

  test('loadSaeLens checks cfg.json sizes and the weights header before building the model', () => {
    const sae = path.join(dir, 'sae');
    fs.mkdirSync(sae);
    const cfg = (c: object) => fs.writeFileSync(path.join(sae, 'cfg.json'), JSON.stringify(c));
    const before = tf.memory().numTensors;
    cfg({ architecture: 'standard', d_in: 16, d_sae: 1e300 });
    fs.writeFileSync(path.join(sae, 'sae_weights.safetensors'), '');
    expect(() => loadSaeLens(sae)).toThrow(
      /^cfg\.d_sae: must be an integer in \[1, 268435456\] \(maxParameters\), got 1e\+300/,
    );
    cfg({ architecture: 'standard', d_in: 16384, d_sae: 65536 });
    expect(() => loadSaeLens(sae)).toThrow(
      /gives 2\.148e\+9 parameters \(8\.001 GiB as float32\), over the limit of 268435456/,
    );
    // Within the limit, the empty weights file is found out before 2 * 64 * 4096 parameters are built.
    cfg({ architecture: 'standard', d_in: 64, d_sae: 4096 });
    expect(() => loadSaeLens(sae)).toThrow(/sae_weights\.safetensors: safetensors: file is 0 bytes/);
    const w = (tensors: Record<string, [string, number[]]>) => {
      const raw: Parameters<typeof encodeSafetensors>[0] = {};
      for (const [name, [dtype, shape]] of Object.entries(tensors)) {
        const n = shape.reduce((a, b) => a * b, 1);
        raw[name] = { dtype: dtype as 'F32', shape, bytes: new Uint8Array(n * (dtype === 'F16' ? 2 : 4)) };
      }
      fs.writeFileSync(path.join(sae, 'sae_weights.safetensors'), encodeSafetensors(raw));
    };
    cfg({ architecture: 'standard', d_in: 4, d_sae: 8 });
    const good: Record<string, [string, number[]]> = {
      W_enc: ['F32', [4, 8]],
      W_dec: ['F32', [8, 4]],
      b_enc: ['F32', [8]],
      b_dec: ['F32', [4]],
    };
    w({ ...good, W_enc: ['F32', [4, 9]] });
    expect(() => loadSaeLens(sae)).toThrow(/^W_enc: shape \[4,9\] in .* does not match cfg\.json's \[4,8\]/);
    w({ ...good, W_dec: ['I32', [8, 4]] });
    expect(() => loadSaeLens(sae)).toThrow(/^W_dec: dtype I32 in .*; weights must be one of F32, F16, BF16, F64/);
    w({ ...good, extra: ['F32', [2]] });
    expect(() => loadSaeLens(sae)).toThrow(
      /tensors do not match a 'standard' SAE \(missing: none; unexpected: extra\)/,
    );
    const { b_dec: _, ...noBDec } = good;
    w(noBDec);
    expect(() => loadSaeLens(sae)).toThrow(/missing: b_dec; unexpected: none/);
    expect(() => loadSaeLens(sae, {}, { maxParameters: 10 })).toThrow(
      /gives 84 parameters \(336 bytes as float32\), over the limit of 10/,
    );
    w({ ...good, b_enc: ['F16', [8]] }); // F16 weights are accepted (widened to float32)
    const loaded = loadSaeLens(sae);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('buffers and batch sizes', () => {
  test('a capacity or batch size like 1e300 is a named error, and maxBytes bounds the buffer', () => {
    const source = new ArraySource(new Float32Array(64).fill(0.5), 8);
    expect(() => new ActivationBuffer({ source, capacity: 1e300 })).toThrow(
      /^capacity: must be an integer in \[1, 67108864\], got 1e\+300/,
    );
    expect(() => new ActivationBuffer({ source, capacity: 100, maxBytes: 1024 })).toThrow(
      /^capacity: must be an integer in \[1, 32\]/,
    );
    expect(() => source.nextBatch(1e300)).toThrow(/^batchSize: must be an integer in \[1, 67108864\]/);
    const buffer = new ActivationBuffer({ source, capacity: 16 });
    expect(() => buffer.nextBatch(1e300)).toThrow(/^batchSize:/);
    expect(LIMITS.maxBytes).toBe(2 ** 31);
  });
});

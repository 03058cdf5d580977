/**
 * A minimal WebAssembly assembler for the kernels' SIMD loops (no toolchain needed): LEB128
 * numbers, the instructions the kernels use, a counted loop, and `heapModule`, which assembles a
 * module of functions that imports the wasm backend's own memory (so kernels read and write
 * tfjs's heap in place) and instantiates it once per heap.
 * Reference: the WebAssembly core specification 2.0 (binary format, SIMD opcodes 0xfd).
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  add: [0x6a],
  mul: [0x6c],
  ltU: [0x49],
  geU: [0x4f],
  and: [0x71],
  divU: [0x6e],
  i32Load: [0x28, 2, 0],
  i32Load4: [0x28, 2, 4], // the next int32 (offset 4 bytes)
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  v128Load: [0xfd, 0x00, 2, 0], // align 4 bytes: rows start anywhere a float may
  v128Store: [0xfd, 0x0b, 2, 0],
  v128Zero: [0xfd, 0x0c, ...new Array(16).fill(0)],
  splat: [0xfd, 0x13],
  lane: (i: number) => [0xfd, 0x1f, i],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
  f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  memCopy: [0xfc, ...uleb(10), 0, 0],
  memFill: [0xfc, ...uleb(11), 0],
};

/** `for (; local < limit; local += step) body`, with `local` and `limit` i32 locals. */
export function loop(local: number, limit: number, step: number, body: number[]): number[] {
  return [
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...op.get(local),
    ...op.get(limit),
    ...op.geU,
    ...[0x0d, 1], // br_if out of the block
    ...body,
    ...op.get(local),
    ...op.i32(step),
    ...op.add,
    ...op.set(local),
    ...[0x0c, 0], // br to the loop
    ...[0x0b, 0x0b], // end loop, end block
  ];
}

/** `local = expr`. */
export const set = (local: number, expr: number[]) => [...expr, ...op.set(local)];

/** A function of a module: its exported name, parameter types, result types (none by default), and body (locals + code + end). */
export interface AsmFunction {
  name: string;
  params: number[];
  results?: number[];
  body: number[];
}

/** Locals declaration of a body: [count, type] runs. */
export function locals(runs: [number, number][]): number[] {
  return vec(runs.map(([count, type]) => [...uleb(count), type]));
}

/** The module's bytes; `shared` for the threaded build's shared memory (max 4 GiB). */
function moduleBytes(functions: AsmFunction[], shared: boolean): Uint8Array<ArrayBuffer> {
  const memoryLimits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec(functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec((f.results ?? []).map((t) => [t]))])),
    ),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => [...uleb(f.body.length), ...f.body]))),
  ]);
}

const instances = new WeakMap<WebAssembly.Memory, Map<string, Record<string, unknown> | null>>();

/**
 * The functions bound to the wasm backend's heap, with `memory`, or null (not the wasm backend,
 * or no WebAssembly SIMD / bulk memory in this engine: the caller runs its JS loops). Built once
 * per heap and `key`: `functions` is called only then (kernels ask for their module on every call,
 * and assembling the bytes costs more than a small kernel's arithmetic).
 */
export function heapModule(
  backend: unknown,
  key: string,
  functions: () => AsmFunction[],
): Record<string, unknown> | null {
  const module = (backend as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } })
    .wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let byKey = instances.get(memory);
  if (!byKey) {
    byKey = new Map();
    instances.set(memory, byKey);
  }
  if (byKey.has(key)) return byKey.get(key) ?? null;
  let made: Record<string, unknown> | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const bytes = moduleBytes(functions(), shared);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    made = { memory, ...instance.exports };
  } catch {
    made = null;
  }
  byKey.set(key, made);
  return made;
}

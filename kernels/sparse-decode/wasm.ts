/**
 * Sparse decode on the wasm backend: WebAssembly SIMD (f32x4) loops that run directly on tfjs's
 * wasm heap (our module imports tfjs's memory, so inputs and outputs are not copied). Same
 * formulas as cpu.ts, four lanes at a time:
 *   forward:  xhat[b] = b_dec + sum_j v[b,j] W[idx[b,j], :]
 *   backward: dv[b,j] = <dy[b], W[idx[b,j]]>,  dW = 0; dW[idx[b,j]] += v[b,j] dy[b]
 * V8 does not vectorise the plain-JS loops of cpu.ts; these run 4 lanes per instruction and
 * walk W by latent (see below). The module is a few hundred bytes, assembled below (no toolchain needed).
 * `sparseDecodeSimd(backend)` returns null where SIMD or the heap is unavailable; the caller
 * then runs the JS loops.
 */

// --- a minimal WebAssembly assembler: just what these two functions use ---------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
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

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const op = {
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
  f32Mul: [0x94],
  v128Load: [0xfd, 0x00, 2, 0], // align 4 bytes: rows start anywhere a float may
  v128Store: [0xfd, 0x0b, 2, 0],
  v128Zero: [0xfd, 0x0c, ...new Array(16).fill(0)],
  splat: [0xfd, 0x13],
  lane: (i: number) => [0xfd, 0x1f, i],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  memCopy: [0xfc, ...uleb(10), 0, 0],
  memFill: [0xfc, ...uleb(11), 0],
};

/** `for (; local < limit; local += step) body`, with `local` and `limit` i32 locals. */
function loop(local: number, limit: number, step: number, body: number[]): number[] {
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

const set = (local: number, expr: number[]) => [...expr, ...op.set(local)];

/** base + i * rowBytes: the byte address of row i. */
const rowAt = (base: number, i: number, rowBytes: number) => [
  ...op.get(base),
  ...op.get(i),
  ...op.get(rowBytes),
  ...op.mul,
  ...op.add,
];

/** rowBytes = d * 4 and simdBytes = rowBytes rounded down to whole f32x4 lanes. */
const rowSizes = (d: number, rowBytes: number, simdBytes: number) => [
  ...set(rowBytes, [...op.get(d), ...op.i32(4), ...op.mul]),
  ...set(simdBytes, [...op.get(rowBytes), ...op.i32(-16), ...op.and]),
];

/** e, eEnd = byte offsets into `entries` of latent m's first and past-the-last entry (starts[m], starts[m+1]). */
const latentEntries = (starts: number, m: number, e: number, eEnd: number) => {
  const startAt = (load: number[]) => [
    ...[...op.get(starts), ...op.get(m), ...op.i32(4), ...op.mul, ...op.add],
    ...load,
    ...[...op.i32(4), ...op.mul],
  ];
  return [...set(e, startAt(op.i32Load)), ...set(eEnd, startAt(op.i32Load4))];
};

/**
 * Entry e of the walk: p = entries[e] (a code position b*K + j), s = v[p] and sv its splat,
 * row = base + (p / k) * rowBytes, the row of input b in a [B,D] array at `base`.
 */
const loadEntry = (
  at: { entries: number; e: number; v: number; k: number; base: number; rowBytes: number },
  out: { p: number; s: number; sv: number; row: number },
) => [
  ...set(out.p, [...op.get(at.entries), ...op.get(at.e), ...op.add, ...op.i32Load]),
  ...set(out.s, [...op.get(at.v), ...op.get(out.p), ...op.i32(4), ...op.mul, ...op.add, ...op.f32Load]),
  ...set(out.sv, [...op.get(out.s), ...op.splat]),
  ...set(out.row, [
    ...[...op.get(at.base), ...op.get(out.p), ...op.get(at.k), ...op.divU],
    ...[...op.get(at.rowBytes), ...op.mul, ...op.add],
  ]),
];

/**
 * Both functions walk the code by latent (`entries`: the flat code positions p = b*K + j sorted
 * by idx[p], `starts[m]..starts[m+1]` those of latent m; a counting sort done in JS), so each row
 * of W (and of dW) is read (written) once, while the rows of xhat / dy they meet (B*D floats) stay
 * in cache. Walking by input instead reads every W row about B*K/N times and read-modify-writes dW.
 */

/** decode(v, w, bDec, out, entries, starts, b, k, d, n): byte offsets, then counts. */
function decodeBody(): number[] {
  const [v, w, bDec, out, entries, starts, b, k, d, n] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [m, c, o, e, eEnd, p, wRow, rowBytes, simdBytes] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
  const [s, sv] = [19, 20];
  const locals = [
    [9, I32],
    [1, F32],
    [1, V128],
  ];
  const code = [
    ...rowSizes(d, rowBytes, simdBytes),
    ...set(m, op.i32(0)),
    ...loop(m, b, 1, [
      // xhat[b] = b_dec for every input (m counts inputs here)
      ...[...rowAt(out, m, rowBytes), ...op.get(bDec), ...op.get(rowBytes)],
      ...op.memCopy,
    ]),
    ...set(m, op.i32(0)),
    ...loop(m, n, 1, [
      ...set(wRow, rowAt(w, m, rowBytes)),
      ...latentEntries(starts, m, e, eEnd),
      ...loop(e, eEnd, 4, [
        ...loadEntry({ entries, e, v, k, base: out, rowBytes }, { p, s, sv, row: o }),
        ...set(c, op.i32(0)),
        ...loop(c, simdBytes, 16, [
          ...[...op.get(o), ...op.get(c), ...op.add], // address of xhat[b, c:c+4]
          ...[...op.get(o), ...op.get(c), ...op.add, ...op.v128Load],
          ...[...op.get(sv), ...op.get(wRow), ...op.get(c), ...op.add, ...op.v128Load, ...op.f32x4Mul],
          ...op.f32x4Add,
          ...op.v128Store,
        ]),
        ...loop(c, rowBytes, 4, [
          ...[...op.get(o), ...op.get(c), ...op.add],
          ...[...op.get(o), ...op.get(c), ...op.add, ...op.f32Load],
          ...[...op.get(s), ...op.get(wRow), ...op.get(c), ...op.add, ...op.f32Load, ...op.f32Mul],
          ...op.f32Add,
          ...op.f32Store,
        ]),
      ]),
    ]),
  ];
  return [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code, 0x0b];
}

/** grad(dy, v, w, dv, dw, entries, starts, k, d, n): byte offsets, then counts. */
function gradBody(): number[] {
  const [dy, v, w, dv, dw, entries, starts, k, d, n] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [m, c, g, e, eEnd, p, wRow, dwRow, rowBytes, simdBytes] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const [s, total, sv, acc, gv, wv] = [20, 21, 22, 23, 24, 25];
  const locals = [
    [10, I32],
    [2, F32],
    [4, V128],
  ];
  /** dW row op= s * dy row, dv[p] = <W row, dy row>; `first` stores instead of adding (no zero fill). */
  const entry = (first: boolean) => [
    ...loadEntry({ entries, e, v, k, base: dy, rowBytes }, { p, s, sv, row: g }),
    ...set(acc, op.v128Zero),
    ...set(c, op.i32(0)),
    ...loop(c, simdBytes, 16, [
      ...set(gv, [...op.get(g), ...op.get(c), ...op.add, ...op.v128Load]),
      ...set(wv, [...op.get(wRow), ...op.get(c), ...op.add, ...op.v128Load]),
      ...set(acc, [...op.get(acc), ...op.get(gv), ...op.get(wv), ...op.f32x4Mul, ...op.f32x4Add]),
      ...[...op.get(dwRow), ...op.get(c), ...op.add],
      ...(first ? [] : [...op.get(dwRow), ...op.get(c), ...op.add, ...op.v128Load]),
      ...[...op.get(sv), ...op.get(gv), ...op.f32x4Mul],
      ...(first ? [] : op.f32x4Add),
      ...op.v128Store,
    ]),
    ...set(total, [
      ...[...op.get(acc), ...op.lane(0), ...op.get(acc), ...op.lane(1), ...op.f32Add],
      ...[...op.get(acc), ...op.lane(2), ...op.get(acc), ...op.lane(3), ...op.f32Add],
      ...op.f32Add,
    ]),
    ...loop(c, rowBytes, 4, [
      ...set(total, [
        ...op.get(total),
        ...[...op.get(g), ...op.get(c), ...op.add, ...op.f32Load],
        ...[...op.get(wRow), ...op.get(c), ...op.add, ...op.f32Load],
        ...op.f32Mul,
        ...op.f32Add,
      ]),
      ...[...op.get(dwRow), ...op.get(c), ...op.add],
      ...(first ? [] : [...op.get(dwRow), ...op.get(c), ...op.add, ...op.f32Load]),
      ...[...op.get(s), ...op.get(g), ...op.get(c), ...op.add, ...op.f32Load, ...op.f32Mul],
      ...(first ? [] : op.f32Add),
      ...op.f32Store,
    ]),
    ...[...op.get(dv), ...op.get(p), ...op.i32(4), ...op.mul, ...op.add, ...op.get(total), ...op.f32Store],
  ];
  const code = [
    ...rowSizes(d, rowBytes, simdBytes),
    ...set(m, op.i32(0)),
    ...loop(m, n, 1, [
      ...set(wRow, rowAt(w, m, rowBytes)),
      ...set(dwRow, rowAt(dw, m, rowBytes)),
      ...latentEntries(starts, m, e, eEnd),
      // if (e == eEnd) dW row = 0 (a latent no input used) else the first entry stores, the rest add
      ...[0x02, 0x40], // block
      ...[...op.get(e), ...op.get(eEnd), ...op.ltU, 0x04, 0x40], // if e < eEnd
      ...entry(true),
      ...op.get(e),
      ...op.i32(4),
      ...op.add,
      ...op.set(e),
      ...loop(e, eEnd, 4, entry(false)),
      ...[0x05], // else
      ...[...op.get(dwRow), ...op.i32(0), ...op.get(rowBytes), ...op.memFill],
      ...[0x0b, 0x0b], // end if, end block
    ]),
  ];
  return [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code, 0x0b];
}

/** The module's bytes; `shared` for the threaded build's shared memory (max 4 GiB). */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const memoryLimits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const decode = decodeBody();
  const grad = gradBody();
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(new Array(10).fill([I32])), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vec([[0], [0]])),
    ...section(
      7,
      vec([
        [...name('decode'), 0x00, 0],
        [...name('grad'), 0x00, 1],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(decode.length), ...decode],
        [...uleb(grad.length), ...grad],
      ]),
    ),
  ]);
}

export interface SparseDecodeSimd {
  memory: WebAssembly.Memory;
  /** All pointers are byte offsets into `memory`; `entries` and `starts` from `sortByLatent`. */
  decode(
    v: number,
    w: number,
    bDec: number,
    out: number,
    entries: number,
    starts: number,
    b: number,
    k: number,
    d: number,
    n: number,
  ): void;
  grad(
    dy: number,
    v: number,
    w: number,
    dv: number,
    dw: number,
    entries: number,
    starts: number,
    k: number,
    d: number,
    n: number,
  ): void;
}

/**
 * Counting sort of the code positions by latent: `starts` [N+1] (starts[m]..starts[m+1] index
 * `entries`), `entries` [B*K] the positions p = b*K + j with idx[p] = m, in increasing p.
 */
export function sortByLatent(idx: Int32Array, n: number, starts: Int32Array, entries: Int32Array): void {
  starts.fill(0);
  for (let p = 0; p < idx.length; p++) starts[idx[p] + 1]++;
  for (let m = 0; m < n; m++) starts[m + 1] += starts[m];
  const cursor = starts.slice(0, n);
  for (let p = 0; p < idx.length; p++) entries[cursor[idx[p]]++] = p;
}

const instances = new WeakMap<WebAssembly.Memory, SparseDecodeSimd | null>();

/**
 * The SIMD functions bound to the wasm backend's heap, or null (not the wasm backend, or no
 * WebAssembly SIMD here). Instantiated once per heap.
 */
export function sparseDecodeSimd(backend: unknown): SparseDecodeSimd | null {
  const module = (backend as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } })
    .wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  let made: SparseDecodeSimd | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(shared)), { env: { memory } });
    const exports = instance.exports as unknown as Omit<SparseDecodeSimd, 'memory'>;
    made = { memory, decode: exports.decode, grad: exports.grad };
  } catch {
    made = null; // no SIMD (or bulk memory) in this engine: the JS loops run instead
  }
  instances.set(memory, made);
  return made;
}

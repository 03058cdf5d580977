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

import { F32, I32, V128, heapModule, locals, loop, op, set } from '../shared/wasm-asm';

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
  const localRuns: [number, number][] = [
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
  return [...locals(localRuns), ...code, 0x0b];
}

/** grad(dy, v, w, dv, dw, entries, starts, k, d, n): byte offsets, then counts. */
function gradBody(): number[] {
  const [dy, v, w, dv, dw, entries, starts, k, d, n] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [m, c, g, e, eEnd, p, wRow, dwRow, rowBytes, simdBytes] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const [s, total, sv, acc, gv, wv] = [20, 21, 22, 23, 24, 25];
  const localRuns: [number, number][] = [
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
  return [...locals(localRuns), ...code, 0x0b];
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
 * With `gate`, only the positions with gate[p] != 0 are listed (entries that contribute nothing are skipped).
 */
export function sortByLatent(
  idx: Int32Array,
  n: number,
  starts: Int32Array,
  entries: Int32Array,
  gate?: ArrayLike<number>,
): void {
  const listed = (p: number) => gate === undefined || gate[p] !== 0;
  starts.fill(0);
  for (let p = 0; p < idx.length; p++) if (listed(p)) starts[idx[p] + 1]++;
  for (let m = 0; m < n; m++) starts[m + 1] += starts[m];
  const cursor = starts.slice(0, n);
  for (let p = 0; p < idx.length; p++) if (listed(p)) entries[cursor[idx[p]]++] = p;
}

/**
 * The SIMD functions bound to the wasm backend's heap, or null (not the wasm backend, or no
 * WebAssembly SIMD here). Instantiated once per heap.
 */
export function sparseDecodeSimd(backend: unknown): SparseDecodeSimd | null {
  const i32s = (n: number) => new Array(n).fill(I32);
  return heapModule(backend, 'sparse-decode', () => [
    { name: 'decode', params: i32s(10), body: decodeBody() },
    { name: 'grad', params: i32s(10), body: gradBody() },
  ]) as SparseDecodeSimd | null;
}

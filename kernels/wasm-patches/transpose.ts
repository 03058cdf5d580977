/**
 * A fast 2-D transpose on the wasm backend (and a batch of them: the last two axes swapped).
 *
 * tfjs's wasm `Transpose` moved 0.7-1.4 GB/s here against a copy bandwidth over ten times that,
 * and transposes sit on hot paths: every matmul backward (matmul.ts makes its transposed forms
 * explicit), and the TopK encoder's sparse backward, which flips W_enc in and dW_enc out
 * ([512, 8192] each: about 40 ms apiece per step). The replacement moves 4x4 blocks with
 * WebAssembly SIMD shuffles, 32x32 tiles at a time so the strided writes stay in cache; the
 * edges (rows or columns past a multiple of 4) are copied one value at a time. Other permutations
 * and dtypes keep tfjs's kernel. A transpose only moves values: the result is identical.
 */
import * as tf from '@tensorflow/tfjs';
import { runJs } from '../shared/js-kernel';
import { I32, V128, heapModule, locals, loop, op, set } from '../shared/wasm-asm';

/** i8x16.shuffle of two f32x4 vectors: `lanes` picks f32 lanes 0-3 of the first, 4-7 of the second. */
const shuffle = (lanes: number[]) => [0xfd, 0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];

/** transpose(src, dst, s, r, c): s items of [r, c] at byte offset src written as [c, r] at dst. */
function transposeBody(): number[] {
  const [src, dst, s, r, c] = [0, 1, 2, 3, 4];
  const names = [
    'item',
    'base',
    'dbase',
    'ti',
    'tj',
    'i',
    'j',
    'iEnd',
    'jEnd',
    'r4',
    'c4',
    'rowBytes',
    'colBytes',
    'p',
    'q',
  ];
  const L = Object.fromEntries(names.map((name, x) => [name, 5 + x])) as Record<string, number>;
  const [v0, v1, v2, v3, t0, t1, t2, t3] = [20, 21, 22, 23, 24, 25, 26, 27];
  const g = op.get;
  const add = (x: number[], y: number[]) => [...x, ...y, ...op.add];
  const mul = (x: number[], y: number[]) => [...x, ...y, ...op.mul];
  const minOf = (x: number[], y: number[]) => [...x, ...y, ...x, ...y, ...op.ltU, 0x1b]; // select(x, y, x < y)
  const rowAt = (k: number) => add(g(L.p), mul(op.i32(k), g(L.rowBytes)));
  const colAt = (k: number) => add(g(L.q), mul(op.i32(k), g(L.colBytes)));
  const block = [
    ...set(L.p, add(g(L.base), add(mul(g(L.i), g(L.rowBytes)), mul(g(L.j), op.i32(4))))),
    ...[v0, v1, v2, v3].flatMap((v, k) => set(v, [...rowAt(k), ...op.v128Load])),
    ...set(t0, [...g(v0), ...g(v1), ...shuffle([0, 4, 1, 5])]),
    ...set(t1, [...g(v0), ...g(v1), ...shuffle([2, 6, 3, 7])]),
    ...set(t2, [...g(v2), ...g(v3), ...shuffle([0, 4, 1, 5])]),
    ...set(t3, [...g(v2), ...g(v3), ...shuffle([2, 6, 3, 7])]),
    ...set(L.q, add(g(L.dbase), add(mul(g(L.j), g(L.colBytes)), mul(g(L.i), op.i32(4))))),
    ...[...colAt(0), ...g(t0), ...g(t2), ...shuffle([0, 1, 4, 5]), ...op.v128Store],
    ...[...colAt(1), ...g(t0), ...g(t2), ...shuffle([2, 3, 6, 7]), ...op.v128Store],
    ...[...colAt(2), ...g(t1), ...g(t3), ...shuffle([0, 1, 4, 5]), ...op.v128Store],
    ...[...colAt(3), ...g(t1), ...g(t3), ...shuffle([2, 3, 6, 7]), ...op.v128Store],
  ];
  /** dst[j, i] = src[i, j], one value. */
  const one = [
    ...add(g(L.dbase), add(mul(g(L.j), g(L.colBytes)), mul(g(L.i), op.i32(4)))),
    ...add(g(L.base), add(mul(g(L.i), g(L.rowBytes)), mul(g(L.j), op.i32(4)))),
    ...op.f32Load,
    ...op.f32Store,
  ];
  const code = [
    ...set(L.rowBytes, mul(g(c), op.i32(4))),
    ...set(L.colBytes, mul(g(r), op.i32(4))),
    ...set(L.r4, [...g(r), ...op.i32(-4), ...op.and]),
    ...set(L.c4, [...g(c), ...op.i32(-4), ...op.and]),
    ...set(L.item, op.i32(0)),
    ...loop(L.item, s, 1, [
      ...set(L.base, add(g(src), mul(g(L.item), mul(g(L.rowBytes), g(r))))),
      ...set(L.dbase, add(g(dst), mul(g(L.item), mul(g(L.rowBytes), g(r))))),
      ...set(L.ti, op.i32(0)),
      ...loop(L.ti, L.r4, 32, [
        ...set(L.iEnd, minOf(add(g(L.ti), op.i32(32)), g(L.r4))),
        ...set(L.tj, op.i32(0)),
        ...loop(L.tj, L.c4, 32, [
          ...set(L.jEnd, minOf(add(g(L.tj), op.i32(32)), g(L.c4))),
          ...set(L.i, g(L.ti)),
          ...loop(L.i, L.iEnd, 4, [...set(L.j, g(L.tj)), ...loop(L.j, L.jEnd, 4, block)]),
        ]),
      ]),
      // the edges: rows from r4 on (every column), then columns from c4 on (the other rows)
      ...set(L.i, g(L.r4)),
      ...loop(L.i, r, 1, [...set(L.j, op.i32(0)), ...loop(L.j, c, 1, one)]),
      ...set(L.i, op.i32(0)),
      ...loop(L.i, L.r4, 1, [...set(L.j, g(L.c4)), ...loop(L.j, c, 1, one)]),
    ]),
  ];
  return [
    ...locals([
      [names.length, I32],
      [8, V128],
    ]),
    ...code,
    0x0b,
  ];
}

interface TransposeSimd {
  transpose(src: number, dst: number, s: number, r: number, c: number): void;
}

let original: tf.KernelConfig | null = null;

/** Replaces the wasm Transpose kernel's last-two-axes case with the SIMD one (idempotent). Call after the wasm backend is registered. */
export function installFastWasmTranspose(): void {
  if (original) return;
  const stock = tf.getKernel('Transpose', 'wasm');
  if (!stock) throw new Error('installFastWasmTranspose: the wasm backend is not registered');
  original = stock;
  tf.unregisterKernel('Transpose', 'wasm');
  tf.registerKernel({ ...stock, kernelFunc: (args) => lastTwoAxes(args) ?? stock.kernelFunc(args) });
}

/** Restores tfjs's Transpose (the benchmark measures both). */
export function uninstallFastWasmTranspose(): void {
  if (!original) return;
  tf.unregisterKernel('Transpose', 'wasm');
  tf.registerKernel(original);
  original = null;
}

/** The SIMD transpose where it applies (float32, perm swapping the last two axes only), else null. */
function lastTwoAxes({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | null {
  const x = inputs.x as tf.TensorInfo;
  const perm = (attrs as unknown as { perm: number[] }).perm;
  const rank = x.shape.length;
  if (x.dtype !== 'float32' || rank < 2) return null;
  const swapsLastTwo = perm.every((p, i) => (i < rank - 2 ? p === i : p === (i === rank - 1 ? rank - 2 : rank - 1)));
  if (!swapsLastTwo) return null;
  const simd = heapModule(backend, 'transpose', () => [
    { name: 'transpose', params: new Array(5).fill(I32), body: transposeBody() },
  ]) as TransposeSimd | null;
  if (!simd) return null;
  const [r, c] = x.shape.slice(-2);
  const batch = x.shape.slice(0, -2);
  const items = batch.reduce((a, b) => a * b, 1);
  const [out] = runJs(backend, [x], [{ shape: [...batch, c, r], dtype: 'float32' }], ([xs], [ys]) =>
    simd.transpose(xs.byteOffset, ys.byteOffset, items, r, c),
  );
  return out;
}

/**
 * A batch of small matrix products on the wasm heap in WebAssembly SIMD (matmul.ts uses it for the
 * pairs too small for one XNNPACK call each: attention's per-head products).
 *   C[s] = A[s] B[s],  A [S,M,K], B [S,K,N] (a batch of 1 on either side broadcasts: stride 0), C [S,M,N]
 * Four rows of C at a time share each 4-lane load of B (four accumulators in registers, summed over
 * K in order), then one row at a time for the M % 4 rows left; N must be a multiple of 4.
 * tfjs's own loop for these shapes ran at about 1 GFLOP/s (`npm run bench -- core` times both).
 */
import { I32, V128, heapModule, locals, loop, op, set } from '../shared/wasm-asm';

/** matmul(a, b, c, s, m, k, n, aStride, bStride): byte offsets and strides, then counts. */
function matmulBody(): number[] {
  const [a, b, c, s, m, k, n, aStride, bStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [item, A, B, C, i, m4, rowA, rowN, j, pb, bPtr, a0, a1, a2, a3, out, cStride] = Array.from(
    { length: 17 },
    (_, x) => 9 + x,
  );
  const [acc0, acc1, acc2, acc3, bv] = [26, 27, 28, 29, 30];
  const g = op.get;
  const add = (x: number[], y: number[]) => [...x, ...y, ...op.add];
  const mul = (x: number[], y: number[]) => [...x, ...y, ...op.mul];
  /** acc += splat(A[row, p]) * bv */
  const fma = (acc: number, row: number) =>
    set(acc, [...g(acc), ...add(g(row), g(pb)), ...op.f32Load, ...op.splat, ...g(bv), ...op.f32x4Mul, ...op.f32x4Add]);
  /** One 4-column chunk of the rows `rows` (their A pointers), accumulated over K into `accs`, stored from `out` down. */
  const chunk = (rows: number[], accs: number[]) => [
    ...accs.flatMap((acc) => set(acc, op.v128Zero)),
    ...set(bPtr, add(g(B), g(j))),
    ...set(pb, op.i32(0)),
    ...loop(pb, rowA, 4, [
      ...set(bv, [...g(bPtr), ...op.v128Load]),
      ...rows.flatMap((row, r) => fma(accs[r], row)),
      ...set(bPtr, add(g(bPtr), g(rowN))),
    ]),
    ...set(out, add(add(g(C), mul(g(i), g(rowN))), g(j))),
    ...accs.flatMap((acc, r) => [
      ...(r > 0 ? set(out, add(g(out), g(rowN))) : []),
      ...g(out),
      ...g(acc),
      ...op.v128Store,
    ]),
  ];
  const code = [
    ...set(rowA, mul(g(k), op.i32(4))),
    ...set(rowN, mul(g(n), op.i32(4))),
    ...set(m4, [...g(m), ...op.i32(-4), ...op.and]),
    ...set(cStride, mul(g(m), g(rowN))),
    ...set(item, op.i32(0)),
    ...loop(item, s, 1, [
      ...set(A, add(g(a), mul(g(item), g(aStride)))),
      ...set(B, add(g(b), mul(g(item), g(bStride)))),
      ...set(C, add(g(c), mul(g(item), g(cStride)))),
      ...set(i, op.i32(0)),
      ...loop(i, m4, 4, [
        ...set(a0, add(g(A), mul(g(i), g(rowA)))),
        ...set(a1, add(g(a0), g(rowA))),
        ...set(a2, add(g(a1), g(rowA))),
        ...set(a3, add(g(a2), g(rowA))),
        ...set(j, op.i32(0)),
        ...loop(j, rowN, 16, chunk([a0, a1, a2, a3], [acc0, acc1, acc2, acc3])),
      ]),
      ...loop(i, m, 1, [
        ...set(a0, add(g(A), mul(g(i), g(rowA)))),
        ...set(j, op.i32(0)),
        ...loop(j, rowN, 16, chunk([a0], [acc0])),
      ]),
    ]),
  ];
  return [
    ...locals([
      [17, I32],
      [5, V128],
    ]),
    ...code,
    0x0b,
  ];
}

/** The batched product bound to the wasm backend's heap. */
export interface SmallMatMulSimd {
  memory: WebAssembly.Memory;
  matmul(
    a: number,
    b: number,
    c: number,
    s: number,
    m: number,
    k: number,
    n: number,
    aStride: number,
    bStride: number,
  ): void;
}

/** The product on this backend's heap, or null (not the wasm backend, or no WebAssembly SIMD here). */
export function smallMatMulSimd(backend: unknown): SmallMatMulSimd | null {
  return heapModule(backend, 'small-matmul', () => [
    { name: 'matmul', params: new Array(9).fill(I32), body: matmulBody() },
  ]) as SmallMatMulSimd | null;
}

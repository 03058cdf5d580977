/**
 * The TopK selection's hot loop on the wasm backend: a WebAssembly SIMD scan over tfjs's heap for
 * the next entry of a row that beats the heap's worst kept value (cpu.ts `topkRowsJs` keeps the
 * heap in JS and calls it between updates). Four lanes per instruction:
 *   firstAbove(z, bias, i, n, t) = the first j >= i (up to the 4-lane chunk it sits in) with
 *   z[j] + bias[j] > t, or n when there is none;   `firstAboveUnbiased` reads z alone.
 * z + bias is a float32 add (f32x4.add), the same float32 value as JS's Math.fround(z + bias), so
 * the scan agrees with the JS comparison it replaces. A returned index is only a candidate: the
 * caller compares each entry again, in order, from it.
 * V8 does not vectorise the JS loop (one comparison per entry); most entries of a row are below the
 * threshold, so a scan that rejects four of them per instruction leaves the JS only the updates.
 * Each call crosses from JS into wasm (about k ln(n/k) times per row); measured against the JS loop
 * alone on the same heap data (medians, 2 threads): [256,256] k=5 0.57 ms against 0.65, [384,512] k=8
 * 1.61 against 1.92, [1024,2048] k=16 15.2 against 25.7, [1024,8192] k=32 45 against 86.
 */
import { F32, I32, V128, heapModule, locals, loop, op, set } from '../shared/wasm-asm';

/** `if (cond) return value` (cond and value: i32 code). */
const returnIf = (cond: number[], value: number[]) => [...cond, 0x04, 0x40, ...value, 0x0f, 0x0b];

/** firstAbove(z, bias, i, n, t) with `biased`, firstAboveUnbiased(z, i, n, t) without; returns an i32. */
function scanBody(biased: boolean): number[] {
  const [z, bias, i, n, t] = biased ? [0, 1, 2, 3, 4] : [0, -1, 1, 2, 3];
  const first = biased ? 5 : 4; // first local after the parameters
  const [simdEnd, tv] = [first, first + 1];
  const at = (base: number) => [...op.get(base), ...op.get(i), ...op.i32(4), ...op.mul, ...op.add];
  const lanes = [...at(z), ...op.v128Load, ...(biased ? [...at(bias), ...op.v128Load, ...op.f32x4Add] : [])];
  const scalar = [...at(z), ...op.f32Load, ...(biased ? [...at(bias), ...op.f32Load, ...op.f32Add] : [])];
  const code = [
    ...set(tv, [...op.get(t), ...op.splat]),
    // the 4-lane loop runs while i + 4 <= n: i < n - 3 (0 iterations when n < 3)
    ...set(simdEnd, [...op.get(n), ...op.i32(3), 0x6b, ...op.i32(0), ...op.get(n), ...op.i32(3), ...op.geU, 0x1b]),
    ...loop(i, simdEnd, 4, returnIf([...lanes, ...op.get(tv), 0xfd, 0x44, 0xfd, 0x53], op.get(i))),
    ...loop(i, n, 1, returnIf([...scalar, ...op.get(t), 0x5e], op.get(i))),
    ...op.get(n),
  ];
  return [
    ...locals([
      [1, I32],
      [1, V128],
    ]),
    ...code,
    0x0b,
  ];
}

/** The scan bound to the wasm backend's heap; byte offsets for z and bias, element counts for i and n. */
export interface TopkScanSimd {
  memory: WebAssembly.Memory;
  firstAbove(z: number, bias: number, i: number, n: number, t: number): number;
  firstAboveUnbiased(z: number, i: number, n: number, t: number): number;
}

/** The scan on this backend's heap, or null (not the wasm backend, or no WebAssembly SIMD here). */
export function topkScanSimd(backend: unknown): TopkScanSimd | null {
  return heapModule(backend, 'topk-scan', () => [
    { name: 'firstAbove', params: [I32, I32, I32, I32, F32], results: [I32], body: scanBody(true) },
    { name: 'firstAboveUnbiased', params: [I32, I32, I32, F32], results: [I32], body: scanBody(false) },
  ]) as TopkScanSimd | null;
}

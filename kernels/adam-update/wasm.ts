/**
 * The Adam update on the wasm backend: a WebAssembly SIMD (f32x4) loop over tfjs's heap, four
 * parameters per instruction, the same formula as reference.ts in float32:
 *   g = scale grad;  m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2
 *   p' = p - lr (m' c1) / (sqrt(v' c2) + eps),   c1 = 1 / (1 - b1^t),  c2 = 1 / (1 - b2^t)
 * The plain-JS loop (cpu.ts) ran at ~6 ns per parameter here, slower than tfjs's own ten-pass
 * composite on wasm; this one is bound by memory (7 floats moved per parameter).
 */
import { F32, I32, V128, heapModule, locals, loop, op, set } from '../shared/wasm-asm';

/** adam(p, m, v, g, pOut, mOut, vOut, n; scale, b1, a1, b2, a2, lrC1, c2, eps): byte offsets, a count, then f32 constants. */
function adamBody(): number[] {
  const [p, m, v, g, pOut, mOut, vOut, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const consts = [8, 9, 10, 11, 12, 13, 14, 15]; // scale, b1, a1, b2, a2, lrC1, c2, eps
  const [c, end, simdEnd] = [16, 17, 18];
  const [gv, mv, vv] = [19, 20, 21];
  const splats = [22, 23, 24, 25, 26, 27, 28, 29]; // the constants in all four lanes
  const [gs, ms, vs] = [30, 31, 32];
  const [kScale, kB1, kA1, kB2, kA2, kStep, kC2, kEps] = splats;
  const [scale, b1, a1, b2, a2, step, c2, eps] = consts;
  const at = (base: number) => [...op.get(base), ...op.get(c), ...op.add];
  const vec4 = {
    load: (base: number) => [...at(base), ...op.v128Load],
    store: (base: number, value: number[]) => [...at(base), ...value, ...op.v128Store],
  };
  const f32 = {
    load: (base: number) => [...at(base), ...op.f32Load],
    store: (base: number, value: number[]) => [...at(base), ...value, ...op.f32Store],
  };
  const code = [
    ...set(end, [...op.get(n), ...op.i32(4), ...op.mul]),
    ...set(simdEnd, [...op.get(end), ...op.i32(-16), ...op.and]),
    ...splats.flatMap((k, i) => set(k, [...op.get(consts[i]), ...op.splat])),
    ...set(c, op.i32(0)),
    ...loop(c, simdEnd, 16, [
      ...set(gv, [...vec4.load(g), ...op.get(kScale), ...op.f32x4Mul]),
      ...set(mv, [
        ...[...op.get(kB1), ...vec4.load(m), ...op.f32x4Mul],
        ...[...op.get(kA1), ...op.get(gv), ...op.f32x4Mul, ...op.f32x4Add],
      ]),
      ...set(vv, [
        ...[...op.get(kB2), ...vec4.load(v), ...op.f32x4Mul],
        ...[...op.get(kA2), ...op.get(gv), ...op.get(gv), ...op.f32x4Mul, ...op.f32x4Mul, ...op.f32x4Add],
      ]),
      ...vec4.store(mOut, op.get(mv)),
      ...vec4.store(vOut, op.get(vv)),
      ...vec4.store(pOut, [
        ...vec4.load(p),
        ...[...op.get(kStep), ...op.get(mv), ...op.f32x4Mul],
        ...[...op.get(vv), ...op.get(kC2), ...op.f32x4Mul, ...op.f32x4Sqrt, ...op.get(kEps), ...op.f32x4Add],
        ...op.f32x4Div,
        ...op.f32x4Sub,
      ]),
    ]),
    ...loop(c, end, 4, [
      ...set(gs, [...f32.load(g), ...op.get(scale), ...op.f32Mul]),
      ...set(ms, [
        ...[...op.get(b1), ...f32.load(m), ...op.f32Mul],
        ...[...op.get(a1), ...op.get(gs), ...op.f32Mul, ...op.f32Add],
      ]),
      ...set(vs, [
        ...[...op.get(b2), ...f32.load(v), ...op.f32Mul],
        ...[...op.get(a2), ...op.get(gs), ...op.get(gs), ...op.f32Mul, ...op.f32Mul, ...op.f32Add],
      ]),
      ...f32.store(mOut, op.get(ms)),
      ...f32.store(vOut, op.get(vs)),
      ...f32.store(pOut, [
        ...f32.load(p),
        ...[...op.get(step), ...op.get(ms), ...op.f32Mul],
        ...[...op.get(vs), ...op.get(c2), ...op.f32Mul, ...op.f32Sqrt, ...op.get(eps), ...op.f32Add],
        ...op.f32Div,
        ...op.f32Sub,
      ]),
    ]),
  ];
  return [
    ...locals([
      [3, I32],
      [11, V128],
      [3, F32],
    ]),
    ...code,
    0x0b,
  ];
}

export interface AdamSimd {
  memory: WebAssembly.Memory;
  /** Pointers are byte offsets into `memory`, n the parameter count. */
  adam(
    p: number,
    m: number,
    v: number,
    g: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    scale: number,
    beta1: number,
    a1: number,
    beta2: number,
    a2: number,
    lrC1: number,
    c2: number,
    eps: number,
  ): void;
}

/** The SIMD update bound to the wasm backend's heap, or null (not wasm, or no SIMD here: cpu.ts's loop runs). */
export function adamSimd(backend: unknown): AdamSimd | null {
  return heapModule(backend, 'adam-update', () => [
    { name: 'adam', params: [...new Array(8).fill(I32), ...new Array(8).fill(F32)], body: adamBody() },
  ]) as AdamSimd | null;
}

/**
 * A counter-based normal generator: eps for element i of step `step` under `seed` is a pure
 * function of (seed, step, i), so any backend (JS, GLSL, WGSL) can draw the same numbers in
 * parallel and a backward pass can regenerate them instead of storing them
 * (the idea of Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3").
 *
 * Bits: the `triple32` integer hash (Wellons, hash-prospector, 2018: the lowest-bias
 * 32-bit hash it found, a bijection on uint32). Keys and counters:
 *   k1 = h(seed ^ 0x9E3779B9),  k2 = h(k1 ^ step)
 *   a = h(h(2i ^ k2) + k1),     b = h(h((2i + 1) ^ k2) + k1)
 * Uniforms with 24 bits (exact in float32): u1 = ((a >>> 8) + 1) / 2^24 in (0, 1],
 * u2 = (b >>> 8) / 2^24 in [0, 1). Box-Muller: eps = sqrt(-2 ln u1) * cos(2 pi u2).
 * The GLSL and WGSL versions in webgl.ts / webgpu.ts are line-for-line copies of this.
 */

/** triple32: x ^= x>>>17; x *= 0xed5ad4bb; x ^= x>>>11; x *= 0xac4c1b51; x ^= x>>>15; x *= 0x31848bab; x ^= x>>>14. */
export function triple32(x: number): number {
  x = (x ^ (x >>> 17)) >>> 0;
  x = Math.imul(x, 0xed5ad4bb) >>> 0;
  x = (x ^ (x >>> 11)) >>> 0;
  x = Math.imul(x, 0xac4c1b51) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x31848bab) >>> 0;
  x = (x ^ (x >>> 14)) >>> 0;
  return x;
}

/** The two per-call keys [k1, k2] for (seed, step); both are uint32. */
export function counterKeys(seed: number, step: number): [number, number] {
  const k1 = triple32((seed ^ 0x9e3779b9) >>> 0);
  const k2 = triple32((k1 ^ step) >>> 0);
  return [k1, k2];
}

/** eps for flat element index i under keys (k1, k2), computed in float64 then rounded by the caller. */
export function counterNormalAt(i: number, k1: number, k2: number): number {
  const a = triple32((triple32(((2 * i) ^ k2) >>> 0) + k1) >>> 0);
  const b = triple32((triple32(((2 * i + 1) ^ k2) >>> 0) + k1) >>> 0);
  const u1 = ((a >>> 8) + 1) / 16777216;
  const u2 = (b >>> 8) / 16777216;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Fills `out` with eps for flat indices 0 .. out.length-1. */
export function fillCounterNormal(out: Float32Array, seed: number, step: number): Float32Array {
  const [k1, k2] = counterKeys(seed, step);
  for (let i = 0; i < out.length; i++) out[i] = counterNormalAt(i, k1, k2);
  return out;
}

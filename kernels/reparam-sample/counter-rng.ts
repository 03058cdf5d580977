/**
 * A counter-based normal generator: eps for element i of step `step` under `seed` is a pure
 * function of (seed, step, i), so any backend (JS, GLSL, WGSL) can draw the same numbers in
 * parallel and a backward pass can regenerate them instead of storing them
 * (the idea of Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3").
 *
 * Bits: the `triple32` integer hash (Wellons, hash-prospector, 2018: the lowest-bias
 * 32-bit hash it found, a bijection on uint32). Keys and counters:
 *   k1 = h(seed ^ 0x9E3779B9),  k2 = h(k1 ^ step),  p = floor(i / 2) (elements come in pairs)
 *   a = h(h(2p ^ k2) + k1),     b = h(h((2p + 1) ^ k2) + k1)
 * Uniforms with 24 bits (exact in float32): u1 = ((a >>> 8) + 1) / 2^24 in (0, 1],
 * u2 = (b >>> 8) / 2^24 in [0, 1). Box-Muller (Box & Muller 1958) gives two independent normals
 * per pair: eps_{2p} = sqrt(-2 ln u1) cos(2 pi u2), eps_{2p+1} = sqrt(-2 ln u1) sin(2 pi u2).
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

/** The pair (u1, u2) of 24-bit uniforms for pair p under keys (k1, k2). */
function uniformsOfPair(p: number, k1: number, k2: number): [number, number] {
  const a = triple32((triple32(((2 * p) ^ k2) >>> 0) + k1) >>> 0);
  const b = triple32((triple32(((2 * p + 1) ^ k2) >>> 0) + k1) >>> 0);
  return [((a >>> 8) + 1) / 16777216, (b >>> 8) / 16777216];
}

/** eps for flat element index i under keys (k1, k2), in float64 (callers round to float32). */
export function counterNormalAt(i: number, k1: number, k2: number): number {
  const [u1, u2] = uniformsOfPair(Math.floor(i / 2), k1, k2);
  const radius = Math.sqrt(-2 * Math.log(u1));
  const angle = 2 * Math.PI * u2;
  return i % 2 === 0 ? radius * Math.cos(angle) : radius * Math.sin(angle);
}

/**
 * The fused sampling loop: for each i, out_i = mu_i + scale * exp(0.5 logVar_i) * eps_i, where
 * `mu` may be null (then 0) and `dy` (if given) multiplies the second term: the forward pass is
 * (mu, logVar, null, 1) and the logVar gradient (null, logVar, dy, 0.5). Inlined, no allocation.
 */
export function fusedCounterNormal(
  out: Float32Array,
  mu: Float32Array | null,
  logVar: Float32Array | null,
  dy: Float32Array | null,
  scale: number,
  seed: number,
  step: number,
): void {
  const [k1, k2] = counterKeys(seed, step);
  const size = out.length;
  const twoPi = 2 * Math.PI;
  for (let i = 0; i < size; i += 2) {
    const a = triple32((triple32((i ^ k2) >>> 0) + k1) >>> 0); // counter 2p = i
    const b = triple32((triple32(((i + 1) ^ k2) >>> 0) + k1) >>> 0);
    const radius = Math.sqrt(-2 * Math.log(((a >>> 8) + 1) / 16777216));
    const angle = twoPi * ((b >>> 8) / 16777216);
    const e0 = radius * Math.cos(angle);
    out[i] =
      (mu === null ? 0 : mu[i]) +
      scale * (dy === null ? 1 : dy[i]) * (logVar === null ? 1 : Math.exp(0.5 * logVar[i])) * e0;
    if (i + 1 < size) {
      const e1 = radius * Math.sin(angle);
      out[i + 1] =
        (mu === null ? 0 : mu[i + 1]) +
        scale * (dy === null ? 1 : dy[i + 1]) * (logVar === null ? 1 : Math.exp(0.5 * logVar[i + 1])) * e1;
    }
  }
}

/** Fills `out` with eps for flat indices 0 .. out.length-1. */
export function fillCounterNormal(out: Float32Array, seed: number, step: number): Float32Array {
  fusedCounterNormal(out, null, null, null, 1, seed, step);
  return out;
}

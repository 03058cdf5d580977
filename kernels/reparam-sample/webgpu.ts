/**
 * Fused reparameterized sampling on WebGPU (WGSL); equals reference.ts to float tolerance.
 * One invocation per element regenerates eps from (seed, step, index) with the same triple32
 * hash and Box-Muller pair as counter-rng.ts (u32 arithmetic wraps as in JS's Math.imul).
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { gpuProgram, runGPU } from '../shared/gpu';
import { counterKeys } from './counter-rng';

/** WGSL: eps for flat index i under keys (k1, k2); a line-for-line copy of counter-rng.ts. */
export const WGSL_COUNTER_NORMAL = `
  fn triple32(x0 : u32) -> u32 {
    var x = x0;
    x = x ^ (x >> 17u); x = x * 0xed5ad4bbu;
    x = x ^ (x >> 11u); x = x * 0xac4c1b51u;
    x = x ^ (x >> 15u); x = x * 0x31848babu;
    x = x ^ (x >> 14u);
    return x;
  }
  // (cos t, sin t) for t in [-pi, pi]: t = q pi/2 + r, |r| <= pi/4, Taylor polynomials (error < 1e-7)
  fn cosSin(t : f32) -> vec2<f32> {
    let q = floor(t / 1.5707963267948966 + 0.5);
    let r = (t - q * 1.5703125) - q * 4.838267948966e-4;
    let r2 = r * r;
    let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 / 362880.0))));
    let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 / 40320.0)));
    let qi = i32(q) & 3;
    if (qi == 0) { return vec2<f32>(c, s); }
    if (qi == 1) { return vec2<f32>(-s, c); }
    if (qi == 2) { return vec2<f32>(-c, -s); }
    return vec2<f32>(s, -c);
  }
  fn counterNormal(i : i32, k1 : u32, k2 : u32) -> f32 {
    let c = u32(i - (i % 2));
    let a = triple32(triple32(c ^ k2) + k1);
    let b = triple32(triple32((c + 1u) ^ k2) + k1);
    let u1 = (f32(a >> 8u) + 1.0) / 16777216.0;
    let u2 = f32(b >> 8u) / 16777216.0;
    let radius = sqrt(-2.0 * log(u1));
    // cos(2 pi u2) = -cos(2 pi (u2 - 1/2)); GPU cos/sin may err by 2^-11 (the WebGPU precision
    // rules, SwiftShader uses it), so both come from polynomials after a quadrant reduction.
    let cs = cosSin(6.283185307179586 * (u2 - 0.5));
    return select(-radius * cs.y, -radius * cs.x, i % 2 == 0);
  }
`;

function uniforms(seed: number, step: number) {
  const [k1, k2] = counterKeys(seed, step);
  return [
    { type: 'uint32', data: [k1] },
    { type: 'uint32', data: [k2] },
  ];
}

registerOnce(K.reparamSample, 'webgpu', ({ inputs, backend, attrs }) => {
  const { mu, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  const program = gpuProgram(
    'gensparseReparamSample',
    ['Mu', 'LogVar'],
    mu.shape,
    `let eps = counterNormal(index, uniforms.k1, uniforms.k2);
     setOutputAtIndex(index, getMuByOutputIndex(index) + exp(0.5 * getLogVarByOutputIndex(index)) * eps);`,
    { uniforms: 'k1 : u32, k2 : u32,', helpers: WGSL_COUNTER_NORMAL },
  );
  return runGPU(backend, program, [mu, logVar], uniforms(seed, step));
});

registerOnce(K.reparamSampleGrad, 'webgpu', ({ inputs, backend, attrs }) => {
  const { dy, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  const program = gpuProgram(
    'gensparseReparamSampleGrad',
    ['Dy', 'LogVar'],
    logVar.shape,
    `let eps = counterNormal(index, uniforms.k1, uniforms.k2);
     setOutputAtIndex(index, 0.5 * getDyByOutputIndex(index) * exp(0.5 * getLogVarByOutputIndex(index)) * eps);`,
    { uniforms: 'k1 : u32, k2 : u32,', helpers: WGSL_COUNTER_NORMAL },
  );
  return runGPU(backend, program, [dy, logVar], uniforms(seed, step));
});

/**
 * Fused reparameterized sampling on WebGL (GLSL ES 3.00); equals reference.ts to float tolerance.
 * One fragment per element regenerates eps from (seed, step, index) with the same triple32 hash
 * and Box-Muller pair as counter-rng.ts, in 32-bit unsigned integer arithmetic.
 */
import type * as tf from '@tensorflow/tfjs';
import { K } from '../shared/kernel-names';
import { registerOnce } from '../shared/js-kernel';
import { runGL } from '../shared/gpu';
import { counterKeys } from './counter-rng';

/** GLSL: eps for flat index i under keys (k1, k2); a line-for-line copy of counter-rng.ts. */
export const GLSL_COUNTER_NORMAL = `
  uint triple32(uint x) {
    x ^= x >> 17u; x *= 0xed5ad4bbu;
    x ^= x >> 11u; x *= 0xac4c1b51u;
    x ^= x >> 15u; x *= 0x31848babu;
    x ^= x >> 14u;
    return x;
  }
  // (cos t, sin t) for t in [-pi, pi]: t = q pi/2 + r, |r| <= pi/4, Taylor polynomials (error < 1e-7)
  vec2 cosSin(float t) {
    float q = floor(t / 1.5707963267948966 + 0.5);
    float r = (t - q * 1.5703125) - q * 4.838267948966e-4; // pi/2 split in two parts (Cody-Waite)
    float r2 = r * r;
    float s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 / 362880.0))));
    float c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 / 40320.0)));
    int qi = int(q) & 3;
    if (qi == 0) return vec2(c, s);
    if (qi == 1) return vec2(-s, c);
    if (qi == 2) return vec2(-c, -s);
    return vec2(s, -c);
  }
  float counterNormal(int i, uint k1, uint k2) {
    uint c = uint(i - (i % 2)); // counter 2p of the pair p = floor(i / 2)
    uint a = triple32(triple32(c ^ k2) + k1);
    uint b = triple32(triple32((c + 1u) ^ k2) + k1);
    float u1 = (float(a >> 8u) + 1.0) / 16777216.0;
    float u2 = float(b >> 8u) / 16777216.0;
    float radius = sqrt(-2.0 * log(u1));
    // cos(2 pi u2) = -cos(2 pi (u2 - 1/2)); GPU cos/sin may err by 2^-11 (the Vulkan/WebGPU precision
    // rules, SwiftShader uses it), so both come from polynomials after a quadrant reduction.
    vec2 cs = cosSin(6.283185307179586 * (u2 - 0.5));
    return (i % 2 == 0) ? -radius * cs.x : -radius * cs.y;
  }
`;

function program(names: string[], shape: number[], value: string) {
  const cols = shape[1];
  return {
    variableNames: names,
    outputShape: shape,
    customUniforms: [{ name: 'keys', type: 'ivec2' as const }],
    userCode: `
      ${GLSL_COUNTER_NORMAL}
      void main() {
        ivec2 rc = getOutputCoords();
        float eps = counterNormal(rc.x * ${cols} + rc.y, uint(keys.x), uint(keys.y));
        setOutput(${value});
      }`,
  };
}

function keysUniform(seed: number, step: number): number[][] {
  const [k1, k2] = counterKeys(seed, step);
  return [[k1 | 0, k2 | 0]]; // the bit patterns as int32; GLSL's uint() keeps them
}

registerOnce(K.reparamSample, 'webgl', ({ inputs, backend, attrs }) => {
  const { mu, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  return runGL(
    backend,
    program(['Mu', 'LogVar'], mu.shape, 'getMuAtOutCoords() + exp(0.5 * getLogVarAtOutCoords()) * eps'),
    [mu, logVar],
    keysUniform(seed, step),
  );
});

registerOnce(K.reparamSampleGrad, 'webgl', ({ inputs, backend, attrs }) => {
  const { dy, logVar } = inputs as Record<string, tf.TensorInfo>;
  const { seed, step } = attrs as { seed: number; step: number };
  return runGL(
    backend,
    program(['Dy', 'LogVar'], logVar.shape, '0.5 * getDyAtOutCoords() * exp(0.5 * getLogVarAtOutCoords()) * eps'),
    [dy, logVar],
    keysUniform(seed, step),
  );
});

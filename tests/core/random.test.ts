import * as tf from '@tensorflow/tfjs';
import { Params, Rng, init, ConfigError } from '../../src';

function initialWeights(seed: number): Float32Array {
  const rng = new Rng(seed);
  const params = new Params('seedtest');
  params.add('W', init.kaimingUniform(rng, [16, 8]));
  params.add('V', init.xavierUniform(rng, [8, 4]));
  const values = new Float32Array([...params.get('W').dataSync(), ...params.get('V').dataSync()]);
  params.dispose();
  return values;
}

describe('seeded randomness', () => {
  test('same seed: same initial weights and the same samples', () => {
    expect(initialWeights(7)).toEqual(initialWeights(7));
    const a = new Rng(123);
    const b = new Rng(123);
    const ta = a.randomNormal([100]);
    const tb = b.randomNormal([100]);
    expect(ta.dataSync()).toEqual(tb.dataSync());
    expect([a.uniform(), a.normal(), a.int(10)]).toEqual([b.uniform(), b.normal(), b.int(10)]);
    tf.dispose([ta, tb]);
  });

  test('different seed: different weights and samples', () => {
    const w1 = initialWeights(7);
    const w2 = initialWeights(8);
    let same = 0;
    for (let i = 0; i < w1.length; i++) if (w1[i] === w2[i]) same++;
    expect(same).toBe(0);
    expect(new Rng(1).nextUint32()).not.toBe(new Rng(2).nextUint32());
  });

  test('uniform draws have mean 1/2 and variance 1/12; normal draws mean 0, variance 1 (within 5 standard errors)', () => {
    const rng = new Rng(42);
    const n = 200_000;
    let s = 0,
      s2 = 0,
      t = 0,
      t2 = 0,
      lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      s += u;
      s2 += u * u;
      const z = rng.normal();
      t += z;
      t2 += z * z;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    const mean = s / n,
      varU = s2 / n - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(varU - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
    expect(Math.abs(t / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(t2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  test('Kaiming and Xavier bounds follow their formulas', () => {
    const rng = new Rng(3);
    const k = init.kaimingUniform(rng, [300, 200]);
    const x = init.xavierUniform(rng, [300, 200]);
    const kb = Math.sqrt(6 / 300),
      xb = Math.sqrt(6 / 500);
    expect(k.max().dataSync()[0]).toBeLessThanOrEqual(kb);
    expect(k.max().dataSync()[0]).toBeGreaterThan(0.95 * kb);
    expect(x.abs().max().dataSync()[0]).toBeLessThanOrEqual(xb);
    expect(x.abs().max().dataSync()[0]).toBeGreaterThan(0.95 * xb);
    tf.dispose([k, x]);
  });

  test('shuffle is a permutation and reproducible', () => {
    const a = new Rng(9).shuffle([...Array(50).keys()]) as number[];
    const b = new Rng(9).shuffle([...Array(50).keys()]) as number[];
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(a).not.toEqual([...Array(50).keys()]);
  });

  test('a bad seed is rejected by name', () => {
    expect(() => new Rng(-1)).toThrow(ConfigError);
    expect(() => new Rng(1.5)).toThrow(/seed: must be an integer in \[0, 4294967295\], got 1.5/);
  });
});

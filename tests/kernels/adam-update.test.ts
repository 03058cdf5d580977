import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { adamUpdate, adamUpdateReference } from '../../kernels/adam-update';
import { setPoisonOutputs, kernelActive } from '../../kernels/shared/js-kernel';
import { adamSimd } from '../../kernels/adam-update/wasm';

describe('adam-update kernel', () => {
  beforeAll(() => setPoisonOutputs(true));
  afterAll(() => setPoisonOutputs(false));

  test('runs as a kernel on cpu and wasm; on wasm as the SIMD loop', () => {
    expect(kernelActive('GensparseAdamUpdate')).toBe(true);
    if (tf.getBackend() === 'wasm') expect(adamSimd(tf.backend())).not.toBeNull();
  });

  test.each([[[7]], [[33, 17]], [[2, 3, 5]], [[1031]]])(
    'equals the composite reference, shape %j, three steps (rel. tol 1e-5)',
    (shape) => {
      const rng = new Rng(shape.length * 100 + shape[0]);
      let p = rng.randomNormal(shape),
        m = tf.zeros(shape),
        v = tf.zeros(shape);
      let pr = p.clone(),
        mr = m.clone(),
        vr = v.clone();
      for (let t = 1; t <= 3; t++) {
        const g = rng.randomNormal(shape, 0, 2);
        const scale = tf.scalar(t === 2 ? 0.5 : 1);
        const h = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, t };
        const fast = adamUpdate(p, m, v, g, scale, h);
        const ref = adamUpdateReference(pr, mr, vr, g, scale, h);
        tf.dispose([p, m, v, pr, mr, vr, g, scale]);
        [p, m, v] = fast;
        [pr, mr, vr] = ref;
        for (let i = 0; i < 3; i++) {
          const a = fast[i].dataSync(),
            b = ref[i].dataSync();
          for (let j = 0; j < a.length; j++)
            expect(Math.abs(a[j] - b[j])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[j])));
        }
      }
      tf.dispose([p, m, v, pr, mr, vr]);
    },
  );

  test('no tensors left behind', () => {
    const rng = new Rng(1);
    const p = rng.randomNormal([10]),
      m = tf.zeros([10]),
      v = tf.zeros([10]),
      g = rng.randomNormal([10]),
      s = tf.scalar(1);
    const before = tf.memory().numTensors;
    const out = adamUpdate(p, m, v, g, s, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, t: 1 });
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([...out, p, m, v, g, s]);
  });

  test('mismatched shapes are rejected by name', () => {
    const a = tf.ones([3]),
      b = tf.ones([4]),
      s = tf.scalar(1);
    expect(() => adamUpdate(a, a, a, b, s, { lr: 1, beta1: 0.9, beta2: 0.9, eps: 1e-8, t: 1 })).toThrow(
      /grad: expected shape \[3\], got \[4\]/,
    );
    tf.dispose([a, b, s]);
  });
});

/**
 * Sparse encode (kernels/sparse-encode): reference and kernel against a naive float64 loop,
 * for both selection rules: the selected entries, their padding, the per-row counts, and the
 * gradients to x, W_enc, b_enc and b_dec of a random linear functional of the pre-activations.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { sparseEncode, sparseEncodeReference } from '../../kernels/sparse-encode';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';
import { expectClose, naiveSparseEncode, naiveSparseEncodeGrad, randn, read } from './naive';

beforeAll(() => setPoisonOutputs(true));
afterAll(() => setPoisonOutputs(false));

const impls = [
  ['reference', sparseEncodeReference],
  ['kernel', sparseEncode],
] as const;

// [B, D, N]
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [6, 9, 40],
  [17, 12, 65],
];

describe.each(impls)('sparseEncode (%s)', (_name, fn) => {
  test.each(shapes)('B=%i D=%i N=%i: both rules equal the naive loop, forward and gradients', async (b, d, n) => {
    const rng = new Rng(7000 + b * d * n);
    const x = randn(rng, b * d);
    const w = randn(rng, d * n, 0.5);
    const bEnc = randn(rng, n, 0.3);
    const bDec = randn(rng, d, 0.3);
    const select = randn(rng, n, 0.5);
    const count = randn(rng, n, 0.5);
    const before = tf.memory().numTensors;
    const [xT, wT, beT, bdT, selT, cntT] = [
      tf.tensor2d(x, [b, d]),
      tf.tensor2d(w, [d, n]),
      tf.tensor1d(bEnc),
      tf.tensor1d(bDec),
      tf.tensor1d(select),
      tf.tensor1d(count),
    ];
    const rules = [
      { kind: 'above' as const, selectN: selT },
      { kind: 'batch' as const, keep: Math.max(1, Math.floor((b * n) / 5)) },
    ];
    for (const rule of rules) {
      const naiveRule = rule.kind === 'above' ? { kind: 'above' as const, select } : rule;
      const want = naiveSparseEncode(x, w, bEnc, bDec, b, d, n, naiveRule, count);
      const out = fn(xT, wT, beT, bdT, rule, cntT);
      expect(out.preActsBK.shape).toEqual([b, want.k]);
      expect(out.indicesBK.dtype).toBe('int32');
      expect(Array.from(await read(out.indicesBK))).toEqual(Array.from(want.indices));
      expect(Array.from(await read(out.validBK))).toEqual(Array.from(want.valid));
      expect(Array.from(await read(out.countAboveB))).toEqual(Array.from(want.above));
      expectClose(await read(out.preActsBK), want.values, { atol: 1e-4, label: `${rule.kind} values` });
      tf.dispose([out.preActsBK, out.indicesBK, out.validBK, out.countAboveB]);

      const g = randn(rng, b * want.k);
      const gT = tf.tensor2d(g, [b, want.k]);
      const grads = tf.grads((xx, ww, be, bd) =>
        fn(xx as tf.Tensor2D, ww as tf.Tensor2D, be as tf.Tensor1D, bd as tf.Tensor1D, rule, cntT)
          .preActsBK.mul(gT)
          .sum(),
      )([xT, wT, beT, bdT]);
      const e = naiveSparseEncodeGrad(x, w, bDec, want.indices, want.valid, g, b, d, n, want.k);
      expectClose(await read(grads[0]), e.dx, { atol: 1e-4, label: `${rule.kind} dx` });
      expectClose(await read(grads[1]), e.dw, { atol: 1e-4, label: `${rule.kind} dW_enc` });
      expectClose(await read(grads[2]), e.dbEnc, { atol: 1e-4, label: `${rule.kind} db_enc` });
      expectClose(await read(grads[3]), e.dbDec, { atol: 1e-4, label: `${rule.kind} db_dec` });
      tf.dispose([gT, ...grads]);
    }
    tf.dispose([xT, wT, beT, bdT, selT, cntT]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('batch rule on a large batch (the kernel brackets the threshold from a sample) equals the naive loop', async () => {
    const [b, d, n] = [48, 6, 2048];
    const rng = new Rng(99);
    const x = randn(rng, b * d);
    const w = randn(rng, d * n, 0.5);
    const bEnc = randn(rng, n, 0.3);
    const zeroD = new Float32Array(d);
    const [xT, wT, beT, bdT, cntT] = [
      tf.tensor2d(x, [b, d]),
      tf.tensor2d(w, [d, n]),
      tf.tensor1d(bEnc),
      tf.tensor1d(zeroD),
      tf.zeros([n]) as tf.Tensor1D,
    ];
    // a budget far below the positives, one near them, and one above them (every positive entry)
    for (const keep of [b * 4, Math.floor(b * n * 0.45), Math.floor(b * n * 0.9)]) {
      const want = naiveSparseEncode(x, w, bEnc, zeroD, b, d, n, { kind: 'batch', keep }, new Float32Array(n));
      const out = fn(xT, wT, beT, bdT, { kind: 'batch', keep }, cntT);
      expect(out.preActsBK.shape).toEqual([b, want.k]);
      expect(Array.from(await read(out.indicesBK))).toEqual(Array.from(want.indices));
      expect(Array.from(await read(out.validBK))).toEqual(Array.from(want.valid));
      tf.dispose([out.preActsBK, out.indicesBK, out.validBK, out.countAboveB]);
    }
    tf.dispose([xT, wT, beT, bdT, cntT]);
  });

  test('batch rule: ties go to the lower flat index; nothing selected pads one column', async () => {
    // x = I and b_dec = b_enc = 0 make z = W exactly.
    const z = [2, 1, 2, 0.5, 2, -1, -2, 2, 0]; // 3 x 3, four entries tie at 2
    const eye = tf.eye(3) as tf.Tensor2D;
    const wT = tf.tensor2d(z, [3, 3]);
    const zeros = tf.zeros([3]) as tf.Tensor1D;
    const out = fn(eye, wT, zeros, zeros, { kind: 'batch', keep: 3 }, zeros);
    // kept: flat 0, 2, 4 (the three ties with the lowest flat index); row 2 holds none
    expect(Array.from(await read(out.indicesBK))).toEqual([0, 2, 1, 0, 0, 0]);
    expect(Array.from(await read(out.validBK))).toEqual([1, 1, 1, 0, 0, 0]);
    const none = fn(eye, wT, zeros, zeros, { kind: 'above', selectN: tf.fill([3], 9) as tf.Tensor1D }, zeros);
    expect(none.preActsBK.shape).toEqual([3, 1]);
    expect(Array.from(await read(none.validBK))).toEqual([0, 0, 0]);
    tf.dispose([eye, wT, zeros, out.preActsBK, out.indicesBK, out.validBK, out.countAboveB]);
    tf.dispose([none.preActsBK, none.indicesBK, none.validBK, none.countAboveB]);
  });

  test('bad input gets a named error before anything is allocated', () => {
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    const w = tf.zeros([3, 4]) as tf.Tensor2D;
    const v4 = tf.zeros([4]) as tf.Tensor1D;
    const v3 = tf.zeros([3]) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    expect(() => fn(x, w, v4, v3, { kind: 'batch', keep: 0 }, v4)).toThrow(/rule\.keep/);
    expect(() => fn(x, w, v4, v3, { kind: 'batch', keep: 9 }, v4)).toThrow(/rule\.keep/);
    expect(() => fn(x, w, v4, v3, { kind: 'above', selectN: v3 }, v4)).toThrow(/rule\.selectN/);
    expect(() => fn(x, w, v4, v3, { kind: 'nope' } as never, v4)).toThrow(/rule\.kind/);
    expect(() => fn(x, w, v3, v3, { kind: 'batch', keep: 1 }, v4)).toThrow(/bEncN/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, v4, v3]);
  });
});

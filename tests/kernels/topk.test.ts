/**
 * TopK activation and TopK encoder: reference and kernel (kernels/topk/index.ts) against a naive
 * JS loop, forward and gradients. Tolerance (float32): atol 1e-5, rtol 1e-4 on values and gradients
 * (the encoder's matmul accumulates D products in float32: atol 1e-4 there).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import * as topk from '../../kernels/topk';
import { expectClose, naiveTopk, naiveTopkGrad, randn, read, dot } from './naive';
import { setPoisonOutputs } from '../../kernels/shared/js-kernel';
import { topkRowsJs } from '../../kernels/topk/cpu';
import { topkScanSimd } from '../../kernels/topk/wasm';
import { startWasmSync, startWasmThreaded } from '../../src/core/wasm-node';

beforeAll(() => setPoisonOutputs(true));
afterAll(() => setPoisonOutputs(false));

const impls = [
  ['reference', topk.topkActivationReference],
  ['kernel', topk.topkActivation],
] as const;

// [B, N, k]: odd sizes, k = 1, k = n.
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 7, 1],
  [5, 33, 4],
  [4, 16, 16],
  [2, 300, 32],
  [7, 65, 65],
];

describe.each(impls)('topkActivation (%s)', (_name, fn) => {
  test.each(shapes)('B=%i N=%i k=%i equals the naive loop, forward and gradient', async (b, n, k) => {
    const rng = new Rng(1000 + b * n + k);
    const z = randn(rng, b * n);
    for (let i = 0; i < z.length; i += 3) z[i] = -Math.abs(z[i]); // plenty of negatives
    const g = randn(rng, b * k);
    const zT = tf.tensor2d(z, [b, n]);
    const gT = tf.tensor2d(g, [b, k]);
    const { values, indices } = naiveTopk(z, b, n, k);
    const out = fn(zT, k);
    expect(out.indicesBK.dtype).toBe('int32');
    expect(Array.from(await read(out.indicesBK))).toEqual(Array.from(indices));
    expectClose(await read(out.valuesBK), values, { label: 'values' });
    const dz = tf.grad((x: tf.Tensor) => dot(fn(x as tf.Tensor2D, k).valuesBK, gT))(zT);
    expectClose(await read(dz), naiveTopkGrad(values, indices, g, b, n, k), { label: 'dz' });
    tf.dispose([zT, gT, out.valuesBK, out.indicesBK, dz]);
  });

  test('ties go to the lower index; rows with fewer than k positive entries; all-negative rows', async () => {
    const b = 3,
      n = 8,
      k = 4;
    const z = new Float32Array([
      1,
      2,
      2,
      0.5,
      2,
      1,
      -1,
      2, // ties at 2: indices 1, 2, 4, 7
      -1,
      0.5,
      -3,
      -0.2,
      -2,
      -0.1,
      -5,
      -4, // one positive entry
      -1,
      -2,
      -3,
      -4,
      -5,
      -6,
      -7,
      -8, // all negative
    ]);
    const zT = tf.tensor2d(z, [b, n]);
    const out = fn(zT, k);
    const { values, indices } = naiveTopk(z, b, n, k);
    expect(Array.from(await read(out.indicesBK))).toEqual(Array.from(indices));
    expect(Array.from(await read(out.indicesBK)).slice(0, 4)).toEqual([1, 2, 4, 7]);
    expectClose(await read(out.valuesBK), values);
    const gT = tf.onesLike(out.valuesBK);
    const dz = tf.grad((x: tf.Tensor) => dot(fn(x as tf.Tensor2D, k).valuesBK, gT))(zT);
    const dzArr = await read(dz);
    expect(Array.from(dzArr.slice(8, 16))).toEqual([0, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(dzArr.slice(16))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    tf.dispose([zT, gT, out.valuesBK, out.indicesBK, dz]);
  });

  test('rejects k outside [1, n]', () => {
    const z = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => fn(z, 0)).toThrow(/k/);
    expect(() => fn(z, 6)).toThrow(/k/);
    z.dispose();
  });

  test('no tensor leaks over repeated forward + backward', () => {
    const rng = new Rng(7);
    const zT = tf.tensor2d(randn(rng, 4 * 50), [4, 50]);
    const run = () =>
      tf.tidy(() => {
        const g = tf.grad((x: tf.Tensor) => fn(x as tf.Tensor2D, 5).valuesBK.sum())(zT);
        g.dataSync();
      });
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    zT.dispose();
  });
});

const encoders = [
  ['reference', topk.topkEncodeReference],
  ['kernel', topk.topkEncode],
] as const;

describe.each(encoders)('topkEncode (%s)', (_name, fn) => {
  test.each([
    [3, 5, 9, 2],
    [4, 8, 16, 16],
    [2, 17, 40, 1],
    [6, 32, 100, 8],
  ])('B=%i D=%i N=%i k=%i forward and all four gradients', async (b, d, n, k) => {
    const rng = new Rng(2000 + b * d * n + k);
    const x = randn(rng, b * d),
      w = randn(rng, d * n, 0.5),
      bEnc = randn(rng, n, 0.1),
      bDec = randn(rng, d, 0.1);
    const g = randn(rng, b * k);
    // naive pre-activations (float64)
    const pre = new Float64Array(b * n);
    for (let r = 0; r < b; r++)
      for (let c = 0; c < n; c++) {
        let s = bEnc[c];
        for (let e = 0; e < d; e++) s += (x[r * d + e] - bDec[e]) * w[e * n + c];
        pre[r * n + c] = s;
      }
    const { values, indices } = naiveTopk(pre, b, n, k);
    const dPre = naiveTopkGrad(values, indices, g, b, n, k);
    const dx = new Float64Array(b * d),
      dw = new Float64Array(d * n),
      dbEnc = new Float64Array(n),
      dbDec = new Float64Array(d);
    for (let r = 0; r < b; r++)
      for (let c = 0; c < n; c++) {
        const gp = dPre[r * n + c];
        if (gp === 0) continue;
        dbEnc[c] += gp;
        for (let e = 0; e < d; e++) {
          dx[r * d + e] += gp * w[e * n + c];
          dw[e * n + c] += gp * (x[r * d + e] - bDec[e]);
        }
      }
    for (let r = 0; r < b; r++) for (let e = 0; e < d; e++) dbDec[e] -= dx[r * d + e];
    const ts = [tf.tensor2d(x, [b, d]), tf.tensor2d(w, [d, n]), tf.tensor1d(bEnc), tf.tensor1d(bDec)] as const;
    const gT = tf.tensor2d(g, [b, k]);
    const out = fn(ts[0], ts[1], ts[2], ts[3], k);
    expect(Array.from(await read(out.indicesBK))).toEqual(Array.from(indices));
    expectClose(await read(out.valuesBK), values, { atol: 1e-4, label: 'values' });
    const grads = tf.grads((a: tf.Tensor, bb: tf.Tensor, c: tf.Tensor, e: tf.Tensor) =>
      dot(fn(a as tf.Tensor2D, bb as tf.Tensor2D, c as tf.Tensor1D, e as tf.Tensor1D, k).valuesBK, gT),
    )([...ts]);
    expectClose(await read(grads[0]), dx, { atol: 1e-4, label: 'dx' });
    expectClose(await read(grads[1]), dw, { atol: 1e-4, label: 'dW' });
    expectClose(await read(grads[2]), dbEnc, { atol: 1e-4, label: 'dbEnc' });
    expectClose(await read(grads[3]), dbDec, { atol: 1e-4, label: 'dbDec' });
    tf.dispose([...ts, gT, out.valuesBK, out.indicesBK, ...grads]);
  });
});

const stackEncoders = [
  ['reference', topk.topkEncodeStackReference, topk.topkEncodeReference],
  ['kernel', topk.topkEncodeStack, topk.topkEncode],
] as const;

describe.each(stackEncoders)('topkEncodeStack (%s)', (_name, stackFn, singleFn) => {
  // Three members with their own weights and k: each member's rows and gradients are exactly those
  // of the single encoder (tested above against the naive loop) on its own weights.
  const [b, d, n, ks] = [5, 8, 20, [2, 4, 3]];
  const kMax = 4;
  const rng = new Rng(4100);
  const make = () => ({
    x: tf.tensor2d(randn(rng, b * d), [b, d]),
    members: ks.map(() => ({
      wEncDN: tf.tensor2d(randn(rng, d * n, 0.5), [d, n]),
      bEncN: tf.tensor1d(randn(rng, n, 0.1)),
      bDecD: tf.tensor1d(randn(rng, d, 0.1)),
    })),
    g: randn(rng, ks.length * b * kMax),
  });
  const tensorsOf = (members: ReturnType<typeof make>['members']) =>
    members.flatMap((m) => [m.wEncDN, m.bEncN, m.bDecD]);

  test('every member equals the single encoder: values, indices (padded), all four gradients', async () => {
    const { x, members, g } = make();
    const gT = tf.tensor2d(g, [ks.length * b, kMax]);
    const out = stackFn(x, members, ks);
    expect(out.valuesBK.shape).toEqual([ks.length * b, kMax]);
    const [values, indices] = [await read(out.valuesBK), await read(out.indicesBK)];
    const stackGrads = tf.grads((a: tf.Tensor, ...w: tf.Tensor[]) => {
      const ms = ks.map((_, m) => ({
        wEncDN: w[3 * m] as tf.Tensor2D,
        bEncN: w[3 * m + 1] as tf.Tensor1D,
        bDecD: w[3 * m + 2] as tf.Tensor1D,
      }));
      return dot(stackFn(a as tf.Tensor2D, ms, ks).valuesBK, gT);
    })([x, ...tensorsOf(members)]);
    const [dx, ...dWeights] = await Promise.all(stackGrads.map(read));
    const dxSum = new Float64Array(b * d);
    for (const [m, k] of ks.entries()) {
      const { wEncDN, bEncN, bDecD } = members[m];
      const single = singleFn(x, wEncDN, bEncN, bDecD, k);
      const [sv, si] = [await read(single.valuesBK), await read(single.indicesBK)];
      for (let r = 0; r < b; r++) {
        const row = (m * b + r) * kMax;
        for (let j = 0; j < kMax; j++) {
          expect(values[row + j]).toBe(j < k ? sv[r * k + j] : 0);
          expect(indices[row + j]).toBe(j < k ? si[r * k + j] : 0);
        }
      }
      // member m's block of the upstream gradient, without the padding
      const gm = Float32Array.from({ length: b * k }, (_, i) => g[(m * b + Math.floor(i / k)) * kMax + (i % k)]);
      const gmT = tf.tensor2d(gm, [b, k]);
      const grads = tf.grads((a: tf.Tensor, w: tf.Tensor, be: tf.Tensor, bd: tf.Tensor) =>
        dot(singleFn(a as tf.Tensor2D, w as tf.Tensor2D, be as tf.Tensor1D, bd as tf.Tensor1D, k).valuesBK, gmT),
      )([x, wEncDN, bEncN, bDecD]);
      const [gx, ...gw] = await Promise.all(grads.map(read));
      for (let t = 0; t < 3; t++) expect(Array.from(dWeights[3 * m + t])).toEqual(Array.from(gw[t]));
      gx.forEach((v, i) => {
        dxSum[i] += v;
      });
      tf.dispose([single.valuesBK, single.indicesBK, gmT, ...grads]);
    }
    expectClose(dx, dxSum, { atol: 1e-5, label: 'dx (summed over the members)' });
    tf.dispose([x, ...tensorsOf(members), gT, out.valuesBK, out.indicesBK, ...stackGrads]);
  });

  test('rejects a k list that does not match the members, a k outside [1, n], a member of another width; no leaks', () => {
    const { x, members } = make();
    const wide = {
      ...members[2],
      wEncDN: tf.zeros([d, n + 1]) as tf.Tensor2D,
      bEncN: tf.zeros([n + 1]) as tf.Tensor1D,
    };
    const before = tf.memory().numTensors;
    expect(() => stackFn(x, members, [2, 3])).toThrow(/^ks: must list one k per member \(3\)/);
    expect(() => stackFn(x, members, [2, 3, n + 1])).toThrow(/^k: must be an integer in \[1, nLatents=20\]/);
    expect(() => stackFn(x, [members[0], members[1], wide], ks)).toThrow(/^members\[2\]\.wEncDN: has 21 latents/);
    expect(() => stackFn(x, [], [])).toThrow(/^members: must be a non-empty list/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ...tensorsOf(members), wide.wEncDN, wide.bEncN]);
  });
});

describe.each([
  ['reference', topk.batchTopkActivationReference],
  ['kernel', topk.batchTopkActivation],
] as const)('batchTopkActivation (%s)', (_name, fn) => {
  test.each([
    [4, 10, 2],
    [3, 7, 1.5],
    [5, 33, 4],
    [2, 6, 6],
  ])('B=%i N=%i k=%d keeps the floor(kB) largest ReLU entries', async (b, n, k) => {
    const rng = new Rng(3000 + b * n);
    const z = randn(rng, b * n);
    z[0] = z[1]; // a tie
    const keep = Math.floor(k * b);
    const order = Array.from({ length: b * n }, (_, i) => i).sort((i, j) => z[j] - z[i] || i - j);
    const expected = new Float64Array(b * n);
    for (let j = 0; j < keep; j++) expected[order[j]] = Math.max(0, z[order[j]]);
    const zT = tf.tensor2d(z, [b, n]);
    const out = fn(zT, k);
    expectClose(await read(out), expected);
    const g = randn(rng, b * n);
    const gT = tf.tensor2d(g, [b, n]);
    const dz = tf.grad((x: tf.Tensor) => dot(fn(x as tf.Tensor2D, k), gT))(zT);
    expectClose(
      await read(dz),
      expected.map((v, i) => (v > 0 ? g[i] : 0)),
    );
    tf.dispose([zT, out, gT, dz]);
  });
});

test('thresholdActivation keeps ReLU(z) above theta', async () => {
  const z = tf.tensor2d([[-1, 0.2, 0.5, 2]]);
  expect(Array.from(await read(topk.thresholdActivation(z, 0.3)))).toEqual([0, 0, 0.5, 2]);
  expect(() => topk.thresholdActivation(z, -1)).toThrow(/theta/);
  z.dispose();
});

describe('the selection scan on wasm (kernels/topk/wasm.ts)', () => {
  const onWasm = () => tf.getBackend() === 'wasm';
  /** A float32 tensor's values as a view on the wasm heap (what the kernels hand the scan). */
  const heapView = (t: tf.Tensor) =>
    (tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap(t);

  test('firstAbove lands on the 4-entry chunk of the first entry above t (or n), biased and not', () => {
    if (!onWasm()) return; // the cpu project has no heap: its kernels run the JS loop only
    const scan = topkScanSimd(tf.backend())!;
    expect(scan).not.toBeNull();
    const rng = new Rng(4300);
    for (const n of [1, 2, 3, 4, 5, 7, 8, 33]) {
      const z = tf.tensor1d(randn(rng, n));
      const bias = tf.tensor1d(randn(rng, n, 0.5));
      const [zh, bh] = [heapView(z), heapView(bias)];
      for (const t of [-3, -0.5, 0, 0.7, 3]) {
        for (const start of [0, 1, n - 1].filter((i) => i >= 0 && i < n)) {
          for (const biased of [true, false]) {
            const value = (j: number) => (biased ? Math.fround(zh[j] + bh[j]) : zh[j]);
            let first = n;
            for (let j = start; j < n; j++)
              if (value(j) > t) {
                first = j;
                break;
              }
            const got = biased
              ? scan.firstAbove(zh.byteOffset, bh.byteOffset, start, n, t)
              : scan.firstAboveUnbiased(zh.byteOffset, start, n, t);
            if (first === n) expect([n, t, start, biased, got]).toEqual([n, t, start, biased, n]);
            else
              expect([n, t, start, biased, got >= start && got <= first && first - got < 4]).toEqual([
                n,
                t,
                start,
                biased,
                true,
              ]);
          }
        }
      }
      tf.dispose([z, bias]);
    }
  });

  const sameSelection = () => {
    const scan = topkScanSimd(tf.backend())!;
    expect(scan).not.toBeNull();
    const [b, n, k] = [6, 611, 9];
    const rng = new Rng(4301);
    const zv = randn(rng, b * n);
    for (let i = 0; i < zv.length; i += 7) zv[i] = zv[i + 1 < zv.length ? i + 1 : i]; // ties
    const z = tf.tensor2d(zv, [b, n]);
    const bias = tf.tensor1d(randn(rng, n, 0.3));
    for (const withBias of [true, false]) {
      const run = (simd: typeof scan | null) => {
        const [v, idx] = [new Float32Array(b * k), new Int32Array(b * k)];
        topkRowsJs(heapView(z), withBias ? heapView(bias) : null, v, idx, b, n, k, simd);
        return [Array.from(v), Array.from(idx)];
      };
      expect(run(scan)).toEqual(run(null));
    }
    tf.dispose([z, bias]);
  };

  test('topkRowsJs with the scan selects exactly what the JS loop selects (long rows, ties)', () => {
    if (onWasm()) sameSelection();
  });

  test('and on the threaded build (a shared heap)', async () => {
    if (!onWasm()) return;
    await startWasmThreaded(2);
    try {
      expect(topkScanSimd(tf.backend())!.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
      sameSelection();
    } finally {
      startWasmSync();
    }
  });
});

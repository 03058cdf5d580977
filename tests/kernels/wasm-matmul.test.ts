import * as tf from '@tensorflow/tfjs';
import { Rng, installFastWasmMatMul, uninstallFastWasmMatMul, fastWasmMatMulInstalled } from '../../src';
import { PER_ITEM_MIN_MACS } from '../../kernels/wasm-patches/matmul';

// The fix only exists on wasm; in the cpu project this file checks nothing backend-specific.
const onWasm = () => tf.getBackend() === 'wasm';

async function bothWays<_T>(fn: () => tf.Tensor): Promise<{ fast: Float32Array; original: Float32Array }> {
  installFastWasmMatMul();
  const a = fn();
  const fast = (await a.data()) as Float32Array;
  uninstallFastWasmMatMul();
  const b = fn();
  const original = (await b.data()) as Float32Array;
  installFastWasmMatMul();
  tf.dispose([a, b]);
  return { fast, original };
}

/** Runs `fn` with batches split into one XNNPACK call per pair from `perItemMinMacs` multiply-adds on. */
async function withPerItemMin(perItemMinMacs: number, fn: () => Promise<void>): Promise<void> {
  uninstallFastWasmMatMul();
  installFastWasmMatMul({ perItemMinMacs });
  try {
    await fn();
  } finally {
    uninstallFastWasmMatMul();
    installFastWasmMatMul();
  }
}

function expectClose(a: Float32Array, b: Float32Array, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
}

describe('fast transposed matmuls on wasm', () => {
  const rng = new Rng(21);
  const A = rng.randomNormal([37, 53]);
  const B = rng.randomNormal([53, 29]);
  const At = A.transpose();
  const Bt = B.transpose();
  const A3 = rng.randomNormal([3, 37, 53]);
  const B3t = rng.randomNormal([3, 29, 53]);
  const bias = rng.randomNormal([29]);
  afterAll(() => tf.dispose([A, B, At, Bt, A3, B3t, bias]));

  test('installed by the backend loader on wasm', () => {
    if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
    expect(fastWasmMatMulInstalled()).toBe(true);
  });

  test('all four transpose combinations equal the original kernel', async () => {
    if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
    for (const [a, b, ta, tb] of [
      [A, B, false, false],
      [At, B, true, false],
      [A, Bt, false, true],
      [At, Bt, true, true],
    ] as const) {
      const { fast, original } = await bothWays(() => tf.matMul(a, b, ta, tb));
      expectClose(fast, original);
    }
  });

  test('batched matmuls equal the original kernel', async () => {
    if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
    const batched = await bothWays(() => tf.matMul(A3, B3t, false, true));
    expectClose(batched.fast, batched.original);
  });

  test('fused matmul (bias + relu) with transposed inputs equals a plain-JS computation', async () => {
    if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
    // tfjs 4.22's own wasm _FusedMatMul gets this case wrong (off by up to ~6 here with a bias and
    // transposed inputs), so the independent check is a naive loop, not the original kernel.
    const a = A.arraySync() as number[][],
      b = B.arraySync() as number[][],
      c = bias.arraySync() as number[];
    const expected = new Float32Array(37 * 29);
    for (let i = 0; i < 37; i++)
      for (let j = 0; j < 29; j++) {
        let s = c[j];
        for (let k = 0; k < 53; k++) s += a[i][k] * b[k][j];
        expected[i * 29 + j] = Math.max(0, s);
      }
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const out = tf.fused.matMul({
        a: ta ? At : A,
        b: tb ? Bt : B,
        transposeA: ta,
        transposeB: tb,
        bias,
        activation: 'relu',
      });
      expectClose((await out.data()) as Float32Array, expected);
      out.dispose();
    }
  });

  test('gradients through matMul (which use the transposed forms) are unchanged', async () => {
    if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
    const grad = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b).square().sum());
    const { fast, original } = await bothWays(() => {
      const [ga, gb] = grad([A, B]);
      return tf.concat([ga.flatten(), gb.flatten()]);
    });
    expectClose(fast, original);
  });

  test.each([
    ['one XNNPACK call per pair', 0],
    ['small pairs in one SIMD loop (the default)', PER_ITEM_MIN_MACS],
  ])(
    'a batch of matrix pairs (a stack of models) equals a plain-JS loop, every transpose and broadcast: %s',
    async (_, perItemMinMacs) => {
      if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
      await withPerItemMin(perItemMinMacs, () => batchOfPairsEqualsPlainLoop());
    },
  );

  async function batchOfPairsEqualsPlainLoop(): Promise<void> {
    // [batch..., rows, cols] as nested plain arrays, row-major over the flattened batch
    const plain = (t: tf.Tensor) => {
      const [r, c] = t.shape.slice(-2);
      const v = t.dataSync();
      const n = v.length / (r * c);
      return Array.from({ length: n }, (_, i) =>
        Array.from({ length: r }, (_, j) => Array.from({ length: c }, (_, l) => v[i * r * c + j * c + l])),
      );
    };
    const T = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 7, 5], [3, 5, 4], false, false],
      [[3, 5, 7], [3, 5, 4], true, false],
      [[3, 7, 5], [3, 4, 5], false, true],
      [[3, 5, 7], [3, 4, 5], true, true],
      [[1, 7, 5], [3, 5, 4], false, false], // a broadcast over b's batch
      [[3, 7, 5], [5, 4], false, false], // b one matrix for the whole batch
      [[2, 3, 7, 5], [2, 3, 5, 4], false, false], // two batch dims
      [[2, 9, 3], [2, 3, 8], false, false], // 4-row blocks and a tail row, two 4-column chunks
      [[4, 1, 6], [4, 6, 12], false, false], // one row per pair
      [[2, 3, 16, 8], [2, 3, 16, 8], false, true], // attention's q k^T
      [[3, 7, 5], [3, 5, 5], false, false], // N not a multiple of 4: tfjs's loop
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const a = rng.randomNormal(sa);
      const b = rng.randomNormal(sb);
      const out = tf.matMul(a, b, ta, tb);
      const [pa, pb] = [plain(a), plain(b)];
      const items = Math.max(pa.length, pb.length);
      const want: number[] = [];
      for (let i = 0; i < items; i++) {
        const x = ta ? T(pa[pa.length === 1 ? 0 : i]) : pa[pa.length === 1 ? 0 : i];
        const y = tb ? T(pb[pb.length === 1 ? 0 : i]) : pb[pb.length === 1 ? 0 : i];
        for (const row of x)
          for (let j = 0; j < y[0].length; j++) want.push(row.reduce((s, v, l) => s + v * y[l][j], 0));
      }
      const batch = sa.length >= sb.length ? sa.slice(0, -2) : sb.slice(0, -2);
      expect(out.shape).toEqual([
        ...(batch[0] === 1 ? sb.slice(0, -2) : batch),
        ta ? sa[sa.length - 1] : sa[sa.length - 2],
        tb ? sb[sb.length - 2] : sb[sb.length - 1],
      ]);
      expectClose((await out.data()) as Float32Array, Float32Array.from(want));
      tf.dispose([a, b, out]);
    }
  }

  test.each([
    ['one XNNPACK call per pair', 0],
    ['small pairs in one SIMD loop', PER_ITEM_MIN_MACS],
  ])('a batched matmul and its gradients leave no tensor or wasm buffer behind: %s', async (_, perItemMinMacs) => {
    if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
    await withPerItemMin(perItemMinMacs, async () => noBatchedLeak());
  });

  function noBatchedLeak(): void {
    const a = rng.randomNormal([4, 9, 6]);
    const b = rng.randomNormal([4, 6, 5]);
    const grad = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum());
    const run = () => tf.tidy(() => tf.addN(grad([a, b]).map((g) => g.sum())));
    run().dispose();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = { memory: tf.memory(), dataIds: backend.numDataIds() };
    for (let i = 0; i < 10; i++) run().dispose();
    expect(tf.memory().numTensors).toBe(before.memory.numTensors);
    expect(tf.memory().numBytes).toBe(before.memory.numBytes);
    expect(backend.numDataIds()).toBe(before.dataIds);
    tf.dispose([a, b]);
  }

  test('no tensors or wasm memory leak from the temporaries', async () => {
    if (!onWasm()) return expect(tf.getBackend()).toBe('cpu');
    const run = () => tf.tidy(() => tf.matMul(At, Bt, true, true).sum());
    run().dispose();
    const before = tf.memory();
    for (let i = 0; i < 20; i++) run().dispose();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});

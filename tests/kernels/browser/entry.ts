/**
 * Browser side of tests/kernels/browser.test.ts: on each backend (webgl, webgpu, wasm, cpu) runs
 * every op through kernels/ (its kernel where the backend has one) and compares forward values
 * and gradients with the naive JS loops of ../naive.ts. Results land in window.__kernelResults.
 * Reads tensors with `await data()` only (WebGPU breaks on dataSync).
 */
import * as tf from '@tensorflow/tfjs';
import { initBrowserBackend } from '../../../src/core/backend-browser';
import { Rng } from '../../../src/core/random';
import * as kernels from '../../../kernels';
import { fillCounterNormal } from '../../../kernels/reparam-sample/counter-rng';
import { matryoshkaGradJs } from '../../../kernels/matryoshka-loss/cpu';
import {
  naiveDecode,
  naiveDecodeGrad,
  naiveMatryoshka,
  naiveTopk,
  naiveTopkGrad,
  randn,
  randomIndices,
} from '../naive';

/** One comparison on one backend. */
export interface CheckResult {
  op: string;
  kernel: boolean;
  maxErr: number;
  tol: number;
  ok: boolean;
}
/** Everything measured on one backend (or why it did not load). */
export interface BackendResult {
  backend: string;
  loaded: boolean;
  reason?: string;
  details?: string[];
  checks: CheckResult[];
}

const N = kernels.KERNEL_NAMES;

function maxErr(a: ArrayLike<number>, b: ArrayLike<number>, rel = false): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (rel ? Math.max(1, Math.abs(b[i])) : 1);
    m = Number.isNaN(e) ? Infinity : Math.max(m, e);
  }
  return m;
}

async function checks(): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const add = (op: string, kernel: string, err: number, tol: number) =>
    out.push({ op, kernel: kernels.hasKernel(kernel), maxErr: err, tol, ok: err <= tol });
  const rng = new Rng(77);
  const data = async (t: tf.Tensor) => {
    const v = await t.data();
    t.dispose();
    return v;
  };

  // Reparameterized sampling: same z as the JS generator (the goal: same seed, same z on every backend).
  {
    const b = 7,
      z = 9,
      seed = 4000000000,
      step = 12;
    const mu = randn(rng, b * z),
      lv = randn(rng, b * z, 0.5),
      g = randn(rng, b * z);
    const eps = fillCounterNormal(new Float32Array(b * z), seed, step);
    const muT = tf.tensor2d(mu, [b, z]),
      lvT = tf.tensor2d(lv, [b, z]),
      gT = tf.tensor2d(g, [b, z]);
    const zT = kernels.sampleReparam(muT, lvT, seed, step);
    // cpu/wasm run the fused forward that keeps eps (reparamSampleEps); webgl/webgpu the one that regenerates it.
    const reparamKernel = kernels.hasKernel(N.reparamSampleEps) ? N.reparamSampleEps : N.reparamSample;
    add(
      'reparam z',
      reparamKernel,
      maxErr(
        await data(zT),
        mu.map((m, i) => m + Math.exp(0.5 * lv[i]) * eps[i]),
        true,
      ),
      1e-4,
    );
    const [dmu, dlv] = tf.grads((a: tf.Tensor, l: tf.Tensor) =>
      kernels
        .sampleReparam(a as tf.Tensor2D, l as tf.Tensor2D, seed, step)
        .mul(gT)
        .sum(),
    )([muT, lvT]);
    add('reparam dmu', reparamKernel, maxErr(await data(dmu), g), 1e-6);
    add(
      'reparam dlogVar',
      N.reparamSampleGrad,
      maxErr(
        await data(dlv),
        g.map((gi, i) => 0.5 * gi * Math.exp(0.5 * lv[i]) * eps[i]),
        true,
      ),
      1e-4,
    );
    tf.dispose([muT, lvT, gT]);
  }
  // JumpReLU and its step, forward and gradients.
  {
    const b = 6,
      n = 11,
      eps = 0.3;
    const z = randn(rng, b * n, 0.5),
      theta = Float32Array.from(randn(rng, n, 0.1), (t) => Math.abs(t) + 0.05),
      g = randn(rng, b * n);
    const zT = tf.tensor2d(z, [b, n]),
      thT = tf.tensor1d(theta),
      gT = tf.tensor2d(g, [b, n]);
    const f = Float32Array.from(z, (v, i) => (v > theta[i % n] ? v : 0));
    add('jumpRelu', N.jumpRelu, maxErr(await data(kernels.jumpRelu(zT, thT, eps)), f), 1e-6);
    add(
      'jumpReluStep',
      N.jumpReluStep,
      maxErr(
        await data(kernels.jumpReluStep(zT, thT, eps)),
        f.map((_v, i) => (z[i] > theta[i % n] ? 1 : 0)),
      ),
      0,
    );
    const [dz, dth] = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
      kernels
        .jumpRelu(a as tf.Tensor2D, t as tf.Tensor1D, eps)
        .mul(gT)
        .sum(),
    )([zT, thT]);
    const dthWant = new Float64Array(n);
    for (let i = 0; i < b * n; i++)
      if (Math.abs(z[i] - theta[i % n]) < eps / 2) dthWant[i % n] += -(theta[i % n] / eps) * g[i];
    add(
      'jumpRelu dz',
      N.jumpReluGrad,
      maxErr(
        await data(dz),
        g.map((gi, i) => (z[i] > theta[i % n] ? gi : 0)),
      ),
      1e-6,
    );
    add('jumpRelu dtheta', N.jumpReluGrad, maxErr(await data(dth), dthWant, true), 1e-4);
    const [dzs, dths] = tf.grads((a: tf.Tensor, t: tf.Tensor) =>
      kernels
        .jumpReluStep(a as tf.Tensor2D, t as tf.Tensor1D, eps)
        .mul(gT)
        .sum(),
    )([zT, thT]);
    add('jumpReluStep dz', N.jumpReluGrad, maxErr(await data(dzs), new Float32Array(b * n)), 0);
    add(
      'jumpReluStep dtheta',
      N.jumpReluGrad,
      maxErr(
        await data(dths),
        dthWant.map((v, c) => v / theta[c]),
        true,
      ),
      1e-4,
    );
    tf.dispose([zT, thT, gT]);
  }
  // Sparse decode, forward and gradients.
  {
    const b = 5,
      k = 4,
      n = 37,
      d = 9;
    const v = randn(rng, b * k),
      idx = randomIndices(rng, b, k, n),
      w = randn(rng, n * d),
      bd = randn(rng, d),
      g = randn(rng, b * d);
    const vT = tf.tensor2d(v, [b, k]),
      iT = tf.tensor2d(idx, [b, k], 'int32'),
      wT = tf.tensor2d(w, [n, d]),
      bT = tf.tensor1d(bd),
      gT = tf.tensor2d(g, [b, d]);
    add(
      'sparseDecode',
      N.sparseDecode,
      maxErr(await data(kernels.sparseDecode(vT, iT, wT, bT)), naiveDecode(v, idx, w, bd, b, k, d), true),
      1e-5,
    );
    const want = naiveDecodeGrad(v, idx, w, g, b, k, n, d);
    const [dv, dw, db] = tf.grads((a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      kernels
        .sparseDecode(a as tf.Tensor2D, iT, ww as tf.Tensor2D, bb as tf.Tensor1D)
        .mul(gT)
        .sum(),
    )([vT, wT, bT]);
    add('sparseDecode dValues', N.sparseDecodeGrad, maxErr(await data(dv), want.dValues, true), 1e-5);
    add('sparseDecode dW', N.sparseDecodeGrad, maxErr(await data(dw), want.dW, true), 1e-5);
    add('sparseDecode dbDec', N.sparseDecodeGrad, maxErr(await data(db), want.dB, true), 1e-5);
    tf.dispose([vT, iT, wT, bT, gT]);
  }
  // TopK activation, forward and gradient: k = 5 of 23 with a tie, a row with fewer than k positive
  // entries and a row of negatives (the batchTopk check too); k = 1 and k = n with ties; k = 17 of
  // 131 with 44 tied entries per row.
  for (const [b, n, k, label] of [
    [4, 23, 5, ''],
    [3, 9, 1, ' k=1'],
    [3, 9, 9, ' k=n'],
    [5, 131, 17, ' n=131'],
  ] as const) {
    const z = randn(rng, b * n);
    z[3] = z[7];
    if (k === 1) {
      z[2] = 5;
      z[5] = 5;
      z[n + 4] = 3;
      z[n + 6] = 3;
    } // tied row maxima
    if (k === n) {
      z[1] = z[4];
      z[n] = 0;
      z[n + 1] = 0;
    }
    if (n === 131) for (let i = 0; i < n; i += 3) z[i] = 1.5; // many ties straddling the k-th place
    for (let i = (b - 2) * n; i < (b - 1) * n; i++) if (i % n >= 2) z[i] = -Math.abs(z[i]) - 0.1; // 2 positives at most
    for (let i = (b - 1) * n; i < b * n; i++) z[i] = -Math.abs(z[i]) - 0.1;
    const g = randn(rng, b * k);
    const zT = tf.tensor2d(z, [b, n]),
      gT = tf.tensor2d(g, [b, k]);
    const want = naiveTopk(z, b, n, k);
    const code = kernels.topkActivation(zT, k);
    const idx = await data(code.indicesBK);
    add(`topk${label} indices`, N.topk, maxErr(idx, want.indices), 0);
    add(`topk${label} values`, N.topk, maxErr(await data(code.valuesBK), want.values), 1e-6);
    const dz = tf.grad((x: tf.Tensor) =>
      kernels
        .topkActivation(x as tf.Tensor2D, k)
        .valuesBK.mul(gT)
        .sum(),
    )(zT);
    add(
      `topk${label} dz`,
      N.topkGrad,
      maxErr(await data(dz), naiveTopkGrad(want.values, want.indices, g, b, n, k)),
      1e-6,
    );
    if (label === '') {
      const bt = kernels.batchTopkActivation(zT, 2);
      const order = Array.from({ length: b * n }, (_, i) => i).sort((i, j) => z[j] - z[i] || i - j);
      const btWant = new Float64Array(b * n);
      for (let j = 0; j < 2 * b; j++) btWant[order[j]] = Math.max(0, z[order[j]]);
      add('batchTopk', N.batchTopk, maxErr(await data(bt), btWant), 1e-6);
    }
    tf.dispose([zT, gT]);
  }
  // TopK encoder: the selected pre-activations and the four gradients (via a dense naive loop).
  {
    const b = 3,
      d = 8,
      n = 19,
      k = 3;
    const x = randn(rng, b * d),
      w = randn(rng, d * n, 0.5),
      be = randn(rng, n, 0.1),
      bd = randn(rng, d, 0.1),
      g = randn(rng, b * k);
    const pre = new Float64Array(b * n);
    for (let r = 0; r < b; r++)
      for (let c = 0; c < n; c++) {
        let s = be[c];
        for (let e = 0; e < d; e++) s += (x[r * d + e] - bd[e]) * w[e * n + c];
        pre[r * n + c] = s;
      }
    const want = naiveTopk(pre, b, n, k);
    const dPre = naiveTopkGrad(want.values, want.indices, g, b, n, k);
    const dW = new Float64Array(d * n);
    for (let r = 0; r < b; r++)
      for (let c = 0; c < n; c++) for (let e = 0; e < d; e++) dW[e * n + c] += dPre[r * n + c] * (x[r * d + e] - bd[e]);
    const ts = [tf.tensor2d(x, [b, d]), tf.tensor2d(w, [d, n]), tf.tensor1d(be), tf.tensor1d(bd)];
    const gT = tf.tensor2d(g, [b, k]);
    const code = kernels.topkEncode(
      ts[0] as tf.Tensor2D,
      ts[1] as tf.Tensor2D,
      ts[2] as tf.Tensor1D,
      ts[3] as tf.Tensor1D,
      k,
    );
    add('topkEncode indices', N.topkEncode, maxErr(await data(code.indicesBK), want.indices), 0);
    add('topkEncode values', N.topkEncode, maxErr(await data(code.valuesBK), want.values, true), 1e-4);
    const grads = tf.grads((a: tf.Tensor, ww: tf.Tensor, c: tf.Tensor, e: tf.Tensor) =>
      kernels
        .topkEncode(a as tf.Tensor2D, ww as tf.Tensor2D, c as tf.Tensor1D, e as tf.Tensor1D, k)
        .valuesBK.mul(gT)
        .sum(),
    )(ts);
    add('topkEncode dW', N.topkEncodeGrad, maxErr(await data(grads[1]), dW, true), 1e-4);
    tf.dispose([...ts, gT, grads[0], grads[2], grads[3]]);
  }
  // Matryoshka all-prefix loss: forward against the literal float64 prefix walk; gradients against
  // the suffix-sum loop of cpu.ts (and, for the first shape, the reference's autodiff); k = 1, k = n,
  // and a wider shape.
  for (const [b, k, n, d, label] of [
    [3, 4, 21, 6, ''],
    [2, 1, 9, 5, ' k=1'],
    [3, 7, 7, 5, ' k=n'],
    [4, 9, 57, 33, ' d=33'],
  ] as const) {
    const v = Float32Array.from(randn(rng, b * k), Math.abs),
      idx = randomIndices(rng, b, k, n),
      w = randn(rng, n * d, 0.5),
      res = randn(rng, b * d);
    if (label === ' k=n') v[1] = -v[1]; // a negative code value
    const vT = tf.tensor2d(v, [b, k]),
      iT = tf.tensor2d(idx, [b, k], 'int32'),
      wT = tf.tensor2d(w, [n, d]),
      rT = tf.tensor2d(res, [b, d]);
    add(
      `matryoshka${label} loss`,
      N.matryoshka,
      maxErr(
        await data(kernels.matryoshkaAllPrefixLoss(vT, iT, wT, rT)),
        naiveMatryoshka(v, idx, w, res, b, k, n, d),
        true,
      ),
      1e-4,
    );
    // a non-uniform upstream gradient per input
    const dyT = tf.tensor1d(Float32Array.from({ length: b }, (_, i) => 0.5 + i));
    const gradOf = (fn: typeof kernels.matryoshkaAllPrefixLoss) =>
      tf.grads((a: tf.Tensor, ww: tf.Tensor, rr: tf.Tensor) =>
        fn(a as tf.Tensor2D, iT, ww as tf.Tensor2D, rr as tf.Tensor2D)
          .mul(dyT)
          .sum(),
      )([vT, wT, rT]);
    // JS truth: the suffix-sum gradient of cpu.ts on plain arrays (itself tested against finite differences in Node)
    const want = [new Float32Array(b * k), new Float32Array(n * d), new Float32Array(b * d)];
    matryoshkaGradJs(
      Float32Array.from({ length: b }, (_, i) => 0.5 + i),
      v,
      idx,
      w,
      res,
      want[0],
      want[1],
      want[2],
      b,
      k,
      n,
      d,
    );
    const fns: [string, typeof kernels.matryoshkaAllPrefixLoss][] = [
      [`matryoshka${label} gradients`, kernels.matryoshkaAllPrefixLoss],
    ];
    if (label === '') fns.push(['matryoshka reference gradients', kernels.matryoshkaAllPrefixLossReference]);
    for (const [name, fn] of fns) {
      const got = gradOf(fn);
      let e = 0;
      for (let i = 0; i < 3; i++) e = Math.max(e, maxErr(await data(got[i]), want[i], true));
      add(name, N.matryoshkaGrad, e, 1e-3);
    }
    tf.dispose([vT, iT, wT, rT, dyT]);
  }
  // Diagnostics of tfjs itself (reported, not asserted): the reverse cumsum the reference's
  // gradient uses, on a [2, 3, 70] tensor along the last axis.
  {
    const x = randn(rng, 2 * 3 * 70);
    const want = new Float64Array(x.length);
    for (let r = 0; r < 6; r++) {
      let acc = 0;
      for (let i = 69; i >= 0; i--) {
        acc += x[r * 70 + i];
        want[r * 70 + i] = acc;
      }
    }
    const xT = tf.tensor3d(x, [2, 3, 70]);
    out.push({
      op: 'diagnostic: tf.cumsum(reverse) along the last axis',
      kernel: false,
      maxErr: maxErr(await data(tf.cumsum(xT, 2, false, true)), want, true),
      tol: 1e-4,
      ok: true,
    });
    out[out.length - 1].ok = out[out.length - 1].maxErr <= 1e-4;
    xT.dispose();
  }
  return out;
}

async function runAll(): Promise<BackendResult[]> {
  const results: BackendResult[] = [];
  for (const backend of ['webgl', 'webgpu', 'wasm', 'cpu']) {
    let details: string[] = [];
    try {
      details = (await initBrowserBackend({ backend, wasmPath: '/wasm/' })).details;
    } catch (e) {
      results.push({ backend, loaded: false, reason: e instanceof Error ? e.message : String(e), checks: [] });
      continue;
    }
    const before = tf.memory().numTensors;
    const dataBefore = tf.engine().backend.numDataIds(); // also catches a kernel's undisposed intermediates
    const list = await checks();
    if (tf.memory().numTensors !== before)
      list.push({
        op: `leak check (${tf.memory().numTensors - before} tensors)`,
        kernel: true,
        maxErr: 1,
        tol: 0,
        ok: false,
      });
    const dataLeak = tf.engine().backend.numDataIds() - dataBefore;
    if (dataLeak !== 0)
      list.push({ op: `leak check (${dataLeak} backend data buffers)`, kernel: true, maxErr: 1, tol: 0, ok: false });
    results.push({ backend, loaded: true, details, checks: list });
  }
  return results;
}

(window as unknown as { __kernelResults: Promise<BackendResult[] | { error: string }> }).__kernelResults =
  runAll().catch((e) => ({ error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) }));

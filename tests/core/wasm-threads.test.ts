/**
 * Threaded wasm in Node (src/core/wasm-node.ts): the threaded SIMD build starts with the asked
 * number of threads and computes what the single-threaded build computes; the thread count's
 * sources and limits; and the lazy default backend of a script that never calls initBackend().
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, Rng, describeBackend, wasmThreadCount } from '../../src';
import { startWasmSync, startWasmThreaded } from '../../src/core/wasm-node';
import { installFastWasmMatMul } from '../../kernels/wasm-patches/matmul';

const onWasm = () => tf.getBackend() === 'wasm';

/** Matmuls (plain, transposed, fused with bias + relu) and an MLP's gradients, read back. */
function workload(): Float32Array[] {
  const rng = new Rng(5);
  const x = rng.randomNormal([67, 129]);
  const w1 = rng.randomNormal([129, 301]);
  const w2 = rng.randomNormal([301, 33]);
  const b1 = rng.randomNormal([301]);
  const out = tf.tidy(() => {
    const plain = tf.matMul(x, w1);
    const transposed = tf.matMul(w1, x, true, true);
    const fused = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' });
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.relu(tf.matMul(x, a).add(b)).matMul(w2).square().mean();
    const [g1, g2] = tf.grads(loss)([w1, b1]);
    return [plain, transposed, fused, g1, g2];
  });
  const arrays = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...out, x, w1, w2, b1]);
  return arrays;
}

function worstRelativeDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

describe('threaded wasm in Node', () => {
  test('two threads start, and compute what one thread computes', async () => {
    if (!onWasm()) return; // the cpu project: nothing wasm-specific to check
    startWasmSync();
    installFastWasmMatMul();
    const single = workload();
    const label = await startWasmThreaded(2);
    expect(label).toBe('SIMD, 2 threads');
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    expect(wasm.getThreadsCount()).toBe(2);
    const before = tf.memory().numTensors;
    const threaded = workload();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < single.length; i++) expect(worstRelativeDiff(threaded[i], single[i])).toBeLessThan(1e-5);
    // Back to one thread for the rest of the file (this terminates the pool's workers).
    startWasmSync();
    expect(wasm.getThreadsCount()).toBe(1);
  });

  test('a thread count outside [2, 8] is refused before anything starts', async () => {
    await expect(startWasmThreaded(1)).rejects.toThrow(/threads must be an integer in \[2, 8\], got 1/);
    await expect(startWasmThreaded(2.5)).rejects.toThrow(/got 2.5/);
  });
});

describe('wasm thread count', () => {
  const saved = process.env.GENSPARSE_WASM_THREADS;
  afterEach(() => {
    if (saved === undefined) delete process.env.GENSPARSE_WASM_THREADS;
    else process.env.GENSPARSE_WASM_THREADS = saved;
  });

  test('option, then GENSPARSE_WASM_THREADS, then every core', () => {
    delete process.env.GENSPARSE_WASM_THREADS;
    expect(wasmThreadCount()).toEqual({ threads: Math.min(require('node:os').availableParallelism(), 8) });
    process.env.GENSPARSE_WASM_THREADS = '3';
    expect(wasmThreadCount()).toEqual({ threads: 3 });
    expect(wasmThreadCount(1)).toEqual({ threads: 1 });
  });

  test('more than 8 is capped, saying so; nonsense is a ConfigError naming its source', () => {
    expect(wasmThreadCount(32)).toEqual({ threads: 8, note: "32 asked, tfjs's build uses at most 8" });
    expect(() => wasmThreadCount(0)).toThrow(ConfigError);
    expect(() => wasmThreadCount(0)).toThrow(/wasmThreads: must be an integer in \[1, 8\], got 0/);
    process.env.GENSPARSE_WASM_THREADS = 'many';
    expect(() => wasmThreadCount()).toThrow(/GENSPARSE_WASM_THREADS: must be an integer in \[1, 8\], got many/);
  });
});

describe('backend report', () => {
  test('optional packages that are not installed share one clause; other failures keep their line', () => {
    const text = describeBackend({
      name: 'wasm',
      tfName: 'wasm',
      details: ['SIMD, 2 threads'],
      skipped: [
        { name: 'node-gpu', reason: "Cannot find module '@tensorflow/tfjs-node-gpu'" },
        { name: 'node', reason: 'libtensorflow.so.2: cannot open shared object file' },
      ],
    });
    expect(text).toBe(
      'backend: wasm (SIMD, 2 threads, node-gpu not installed)\n  skipped node: libtensorflow.so.2: cannot open shared object file',
    );
  });
});

describe('a script that never calls initBackend()', () => {
  const fixture = path.join(__dirname, 'fixtures', 'lazy-backend.ts');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60000,
    });

  test('runs on wasm, and says so once on stderr', () => {
    const { stdout, stderr, status } = run({ GENSPARSE_BACKEND: '' });
    expect(status).toBe(0);
    expect(stdout.trim()).toBe('wasm 144');
    const lines = stderr.split('\n').filter((l) => l.startsWith('gensparse:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gensparse: backend wasm \(SIMD, 1 thread\)/);
  });

  test('GENSPARSE_BACKEND=cpu keeps tfjs on cpu, silently', () => {
    const { stdout, stderr, status } = run({ GENSPARSE_BACKEND: 'cpu' });
    expect(status).toBe(0);
    expect(stdout.trim()).toBe('cpu 144');
    expect(stderr).not.toMatch(/gensparse:/);
  });
});

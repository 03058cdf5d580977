import * as tf from '@tensorflow/tfjs';
import {
  type BackendCandidate,
  ConfigError,
  describeBackend,
  initBackend,
  nodeCandidates,
  selectBackend,
} from '../../src';

describe('backend loader', () => {
  const saved = process.env.GENSPARSE_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.GENSPARSE_BACKEND;
    else process.env.GENSPARSE_BACKEND = saved;
  });

  test('picks wasm here: tfjs-node(-gpu) are absent, and says why each was skipped', async () => {
    delete process.env.GENSPARSE_BACKEND;
    const report = await selectBackend(nodeCandidates());
    expect(report.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.skipped.map((s) => s.name)).toEqual(['node-gpu', 'node']);
    for (const s of report.skipped) {
      expect(s.reason).toMatch(/tfjs-node/);
      expect(s.reason).not.toMatch(/\n/); // one line, not a stack trace
    }
    // Absent optional packages are one clause of one line, not a line each.
    const text = describeBackend(report);
    expect(text).toMatch(/^backend: wasm \(SIMD, [^\n]*, node-gpu and node not installed\)$/);
  });

  test('GENSPARSE_BACKEND forces a backend', async () => {
    process.env.GENSPARSE_BACKEND = 'cpu';
    const report = await initBackend();
    expect(report.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    process.env.GENSPARSE_BACKEND = 'wasm';
    expect((await initBackend()).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  test('the backend option wins over the environment variable', async () => {
    process.env.GENSPARSE_BACKEND = 'wasm';
    expect((await initBackend({ backend: 'cpu' })).name).toBe('cpu');
  });

  test('an unknown backend name fails clearly, listing the known ones', async () => {
    await expect(initBackend({ backend: 'tpu' })).rejects.toThrow(ConfigError);
    await expect(initBackend({ backend: 'tpu' })).rejects.toThrow(
      /backend: unknown backend 'tpu'; choose one of node-gpu, node, wasm, cpu/,
    );
    process.env.GENSPARSE_BACKEND = 'webgl2';
    await expect(initBackend()).rejects.toThrow(/unknown backend 'webgl2'/);
  });

  test('selection order: the first candidate that loads wins; failures are reported in order', async () => {
    const tried: string[] = [];
    const failing = (name: string, message: string): BackendCandidate => ({
      name,
      load: async () => {
        tried.push(name);
        throw new Error(`${message}\n    at someStackFrame (file.js:1:1)`);
      },
    });
    const working = (name: string, tfName: string): BackendCandidate => ({
      name,
      load: async () => {
        tried.push(name);
        await tf.setBackend(tfName);
      },
    });
    const report = await initBackend({
      candidates: [
        failing('fast-gpu', 'no GPU found'),
        failing('fast-cpu', 'libtensorflow missing'),
        working('cpu', 'cpu'),
        working('never', 'wasm'),
      ],
    });
    expect(tried).toEqual(['fast-gpu', 'fast-cpu', 'cpu']);
    expect(report.name).toBe('cpu');
    expect(report.skipped).toEqual([
      { name: 'fast-gpu', reason: 'no GPU found' },
      { name: 'fast-cpu', reason: 'libtensorflow missing' },
    ]);
  });

  test('a forced backend that fails to load is an error, not a silent fallback', async () => {
    const candidates: BackendCandidate[] = [
      {
        name: 'broken',
        load: async () => {
          throw new Error('driver crashed');
        },
      },
      {
        name: 'cpu',
        load: async () => {
          await tf.setBackend('cpu');
        },
      },
    ];
    await expect(selectBackend(candidates, 'broken')).rejects.toThrow(
      /forced backend 'broken' failed to load: driver crashed/,
    );
  });

  test('when nothing loads, the error lists every reason', async () => {
    const candidates: BackendCandidate[] = [
      {
        name: 'a',
        load: async () => {
          throw new Error('reason a');
        },
      },
      {
        name: 'b',
        load: async () => {
          throw new Error('reason b');
        },
      },
    ];
    await expect(selectBackend(candidates)).rejects.toThrow('no backend could be loaded: a: reason a; b: reason b');
  });
});

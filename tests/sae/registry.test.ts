/**
 * The architecture registry (src/sae/registry.ts, architectures.ts): every registered
 * architecture builds through createSae, resolves its config without allocating, has one SAELens
 * reader per SAELens name, and a second registration of a name or of a folder reader is refused.
 * Also the two properties the registry made explicit: metrics apart from loss terms (BatchTopK's
 * inferenceL0, against a plain count) and usesDeadLatents on the class.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';
import { findSaeArchitecture, saeArchitectureNames, saeArchitectures } from '../../src/sae/architectures';
import { disposeOutput } from '../../src/sae/base';
import type { BatchTopKSae } from '../../src/sae/batch-topk';
import { type SaeConfig, createSae, resolveSaeConfig, saeConfigOf } from '../../src/sae/create';
import { registerSaeArchitecture } from '../../src/sae/registry';
import { preActs, randn, rowsOf, weightsOf } from './helpers';

const D = 6;
const N = 16;

/** The smallest config of a registered architecture: its required train flags set to 2. */
function minimalConfig(name: string): SaeConfig {
  const entry = findSaeArchitecture(name)!;
  const required = Object.values(entry.cli).filter((use) => use.required);
  return {
    architecture: name,
    dIn: D,
    nLatents: N,
    ...Object.fromEntries(required.map((u) => [u.field, 2])),
  } as SaeConfig;
}

test('the registry lists every architecture once, in the order architectures.ts imports them', () => {
  expect(saeArchitectureNames()).toEqual([
    'relu-l1',
    'topk',
    'batch-topk',
    'jumprelu',
    'matryoshka',
    'matryoshka-batch-topk',
    'gated',
    'transcoder-topk',
    'skip-transcoder-topk',
  ]);
  expect(findSaeArchitecture('no-such-architecture')).toBeUndefined();
});

test.each(saeArchitectureNames())(
  '%s: createSae builds it; resolve fills the same config and allocates nothing',
  (name) => {
    const config = minimalConfig(name);
    const before = tf.memory().numTensors;
    const resolved = resolveSaeConfig(config);
    expect(tf.memory().numTensors).toBe(before);
    expect(resolved.architecture).toBe(name);
    expect(() => resolveSaeConfig({ ...config, dIn: 0 } as SaeConfig)).toThrow(ConfigError);
    expect(tf.memory().numTensors).toBe(before);
    const sae = createSae(config);
    expect(sae.architecture).toBe(name);
    expect(saeConfigOf(sae)).toEqual(resolved);
    sae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  },
);

test('SAELens: every name we save under has exactly one reader, and training-config names are unique', () => {
  const entries = saeArchitectures();
  for (const saved of new Set(entries.map((e) => e.saeLens.architecture))) {
    const readers = entries.filter((e) => e.saeLens.readFolder && e.saeLens.architecture === saved);
    expect([saved, readers.length]).toEqual([saved, 1]);
  }
  const configNames = entries.flatMap((e) => (e.saeLens.trainingConfig ? [e.saeLens.trainingConfig.architecture] : []));
  expect(new Set(configNames).size).toBe(configNames.length);
});

test('a name, an SAELens folder reader or a training-config reader registered twice is refused', () => {
  const topk = findSaeArchitecture('topk')!;
  expect(() => registerSaeArchitecture({ ...topk })).toThrow(/^architecture: 'topk' is already registered/);
  const reluL1 = findSaeArchitecture('relu-l1')!;
  expect(() => registerSaeArchitecture({ ...reluL1, name: 'another-standard' })).toThrow(
    /^saeLens\.readFolder: 'relu-l1' already reads SAELens 'standard' folders/,
  );
  const { readFolder: _reader, ...jumpReluHooks } = findSaeArchitecture('jumprelu')!.saeLens;
  expect(() =>
    registerSaeArchitecture({ ...findSaeArchitecture('jumprelu')!, name: 'another-jumprelu', saeLens: jumpReluHooks }),
  ).toThrow(/^saeLens\.trainingConfig: 'jumprelu' already reads SAELens 'jumprelu' configs/);
  expect(saeArchitectureNames()).not.toContain('another-standard');
  expect(saeArchitectureNames()).not.toContain('another-jumprelu');
});

test('usesDeadLatents: the TopK family with AuxK on, nothing else', () => {
  const uses = (config: SaeConfig) => {
    const sae = createSae(config);
    const out = sae.usesDeadLatents;
    sae.dispose();
    return out;
  };
  expect(uses(minimalConfig('topk'))).toBe(true);
  expect(uses({ ...minimalConfig('topk'), auxKCoefficient: 0 } as SaeConfig)).toBe(false);
  expect(uses(minimalConfig('batch-topk'))).toBe(true);
  expect(uses({ ...minimalConfig('batch-topk'), auxKCoefficient: 0 } as SaeConfig)).toBe(false);
  expect(uses(minimalConfig('matryoshka'))).toBe(true);
  expect(uses(minimalConfig('matryoshka-batch-topk'))).toBe(true);
  expect(uses(minimalConfig('transcoder-topk'))).toBe(true);
  expect(uses(minimalConfig('skip-transcoder-topk'))).toBe(true);
  for (const name of ['relu-l1', 'jumprelu', 'gated']) expect([name, uses(minimalConfig(name))]).toEqual([name, false]);
});

describe.each([true, false])('BatchTopK inferenceL0 is a metric, not a loss term (useKernels=%s)', (useKernels) => {
  test('it counts ReLU(z) > theta per input (theta before the update), and only in training', async () => {
    const B = 9;
    const sae = createSae({ architecture: 'batch-topk', dIn: D, nLatents: N, k: 3, useKernels }) as BatchTopKSae;
    const rng = new Rng(4);
    tf.tidy(() => sae.params.assign({ b_enc: tf.tensor1d(randn(rng, N, 0.2)), threshold: tf.scalar(0.4) }));
    sae.thresholdUpdates = 1; // an EMA step, not the first update
    const x = tf.tensor2d(randn(rng, B * D, 1.5), [B, D]);
    const w = await weightsOf(sae.params);
    const want = rowsOf(await x.data(), B, D)
      .map((row) => preActs(row, w).filter((z) => Math.max(0, z) > 0.4).length)
      .reduce((a, b) => a + b, 0);
    const train = sae.forward(x, { training: true });
    expect(Object.keys(train.metrics)).toEqual(['inferenceL0']);
    expect(Object.keys(train.losses).sort()).toEqual(['auxK', 'fvu', 'mse']);
    expect((await train.metrics.inferenceL0.data())[0]).toBeCloseTo(want / B, 5);
    const before = tf.memory().numTensors;
    const inference = sae.forward(x);
    expect(inference.metrics).toEqual({});
    disposeOutput(inference);
    expect(tf.memory().numTensors).toBe(before);
    disposeOutput(train);
    x.dispose();
    sae.dispose();
  });
});

test('importing any one consumer registers every architecture (no import order can skip a registration)', () => {
  // A fresh process per consumer module, importing that module alone.
  const ROOT = path.resolve(__dirname, '../..');
  const TSX = require.resolve('tsx/cli', { paths: [ROOT] });
  const checks: [string, string][] = [
    ['src/sae/create', "m.createSae({ architecture: 'gated', dIn: 4, nLatents: 8 }).architecture"],
    ['src/cli/train', "m.parseArchitecture('gated')"],
    ['src/sae/saelens-config', "m.saeConfigFromSaeLens({ architecture: 'gated', d_in: 4, d_sae: 8 }).architecture"],
  ];
  for (const [file, expr] of checks) {
    const script = `const m = require(${JSON.stringify(path.join(ROOT, file))}); console.log(${expr});`;
    const r = spawnSync(process.execPath, [TSX, '--eval', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect([file, r.status, r.stdout.trim()]).toEqual([file, 0, 'gated']);
  }
}, 120_000);

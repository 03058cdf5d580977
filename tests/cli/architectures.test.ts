/**
 * `gensparse train` reads its architectures from the registry (in process, no child process):
 * --help lists every registered one, each architecture's flags set its config fields and the
 * others are refused, and `--architecture gated` trains, saves an SAELens 'gated' folder that
 * reloads exactly, and evaluates it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildProgram } from '../../src/cli/main';
import { type SaeOptions, type TrainOptions, runTrain, saeConfigFromOptions } from '../../src/cli/train';
import { Rng } from '../../src/core/random';
import { writeNpy } from '../../src/data/npy';
import { saeArchitectureNames } from '../../src/sae/architectures';
import { loadSaeLens } from '../../src/sae/saelens';

const options = (o: Partial<TrainOptions>): TrainOptions => ({
  data: 'unused.npy',
  architecture: 'topk',
  latents: 32,
  steps: 10,
  batchSize: 64,
  lrSchedule: 'linear',
  heldOut: 0.1,
  logEvery: 5,
  checkpointEvery: 0,
  seed: 0,
  seeds: 1,
  out: 'unused',
  resume: false,
  ...o,
});
/** One SAE's options (what saeConfigFromOptions reads). */
const one = (o: Partial<SaeOptions>): SaeOptions => ({ architecture: 'topk', latents: 32, seed: 0, ...o });

test('--help lists every registered architecture and which flags each reads', () => {
  let out = '';
  const program = buildProgram({ writeOut: (t) => (out += t), exitOverride: true });
  expect(() => program.parse(['train', '--help'], { from: 'user' })).toThrow();
  for (const name of saeArchitectureNames()) expect(out).toContain(name);
  const flat = out.replace(/\s+/g, ' ');
  expect(flat).toContain(
    'active latents per input (topk, batch-topk, matryoshka, matryoshka-batch-topk, transcoder-topk, skip-transcoder-topk)',
  );
  expect(flat).toContain('L1 coefficient (relu-l1, gated) or L0 coefficient (jumprelu)');
});

test("each architecture's flags set its config fields; a flag it does not read is refused", () => {
  expect(saeConfigFromOptions(one({ architecture: 'gated', sparsityCoefficient: 0.5 }), 8)).toEqual({
    architecture: 'gated',
    dIn: 8,
    nLatents: 32,
    seed: 0,
    l1Coefficient: 0.5,
  });
  expect(saeConfigFromOptions(one({ architecture: 'jumprelu', sparsityCoefficient: 2 }), 8)).toMatchObject({
    l0Coefficient: 2,
  });
  expect(saeConfigFromOptions(one({ architecture: 'matryoshka', k: 3 }), 8)).toMatchObject({ k: 3 });
  expect(() => saeConfigFromOptions(one({ architecture: 'gated', k: 3 }), 8)).toThrow(
    /^--k: has no meaning for --architecture gated; use --sparsity-coefficient/,
  );
  expect(() => saeConfigFromOptions(one({ architecture: 'batch-topk' }), 8)).toThrow(
    /^--k: is required for --architecture batch-topk/,
  );
  expect(() => saeConfigFromOptions(one({ architecture: 'topk', k: 2, sparsityCoefficient: 1 }), 8)).toThrow(
    /^--sparsity-coefficient: has no meaning for --architecture topk; use --k/,
  );
});

test('--architecture gated trains, saves a SAELens gated folder that reloads exactly, and evaluates it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-cli-gated-'));
  const rng = new Rng(3);
  const [rows, dim] = [1000, 8];
  const directions = Float32Array.from({ length: 24 * dim }, () => rng.normal());
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < 2; j++) {
      const f = rng.int(24);
      for (let d = 0; d < dim; d++) x[r * dim + d] += (1 + rng.uniform()) * directions[f * dim + d];
    }
  }
  const data = path.join(dir, 'acts.npy');
  writeNpy(data, x, [rows, dim]);
  const out = path.join(dir, 'run');
  const lines: string[] = [];
  const before = tf.memory().numTensors;
  const summary = await runTrain(
    options({ data, architecture: 'gated', sparsityCoefficient: 0.1, steps: 30, out, checkpointEvery: 15 }),
    (line) => lines.push(line),
  );
  expect(tf.memory().numTensors).toBe(before);
  expect(lines.join('\n')).toContain('reloaded: weights identical');
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'sae/cfg.json'), 'utf8'));
  expect(cfg).toMatchObject({ architecture: 'gated', d_in: dim, d_sae: 32 });
  expect(cfg.gensparse).toMatchObject({ architecture: 'gated', l1Coefficient: 0.1 });
  const sae = loadSaeLens(path.join(out, 'sae'));
  expect(sae.architecture).toBe('gated');
  sae.dispose();
  expect(summary.evaluation).not.toBeNull();
  expect(summary.evaluation!.fvu).toBeLessThan(1);
  const metrics = fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(metrics.map((m) => m.step)).toEqual([5, 10, 15, 20, 25, 30]);
  for (const name of ['loss', 'mse', 'l1', 'auxReconstruction', 'l0'])
    expect(Number.isFinite(metrics[5][name])).toBe(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--architecture transcoder-topk is refused by name: the command reads one file, a transcoder needs pairs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-cli-transcoder-'));
  const data = path.join(dir, 'acts.npy');
  const rng = new Rng(4);
  writeNpy(
    data,
    Float32Array.from({ length: 200 * 8 }, () => rng.normal()),
    [200, 8],
  );
  const before = tf.memory().numTensors;
  await expect(
    runTrain(options({ data, architecture: 'transcoder-topk', k: [2], out: path.join(dir, 'run') }), () => {}),
  ).rejects.toThrow(/^--architecture: transcoder-topk predicts a target/);
  expect(tf.memory().numTensors).toBe(before);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('commander accepts --architecture gated (only the missing required options are reported) and suggests for a typo', () => {
  let err = '';
  const program = buildProgram({ writeErr: (t) => (err += t), exitOverride: true });
  expect(() => program.parse(['train', '--architecture', 'gated'], { from: 'user' })).toThrow();
  expect(err).toContain("required option '--data <path>' not specified");
  err = '';
  const again = buildProgram({ writeErr: (t) => (err += t), exitOverride: true });
  expect(() => again.parse(['train', '--architecture', 'gatd'], { from: 'user' })).toThrow();
  expect(err).toContain("(did you mean 'gated'?)");
});

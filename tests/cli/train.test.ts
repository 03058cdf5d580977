/**
 * `gensparse train` and `gensparse eval` end to end, run as a user runs them (a separate process,
 * through the tsx entry) on a generated .npy: the metrics log, the checkpoint, the SAELens folder
 * (reloaded here and evaluated again: the numbers must equal the command's eval.json exactly),
 * the density PNG, and the argument errors ("did you mean", --help on every command).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildProgram } from '../../src/cli/main';
import { type TrainOptions, runMembers } from '../../src/cli/train';
import { Rng } from '../../src/core/random';
import { openNpy, writeNpy } from '../../src/data/npy';
import { evaluateSae } from '../../src/sae/metrics';
import { loadSaeLens } from '../../src/sae/saelens';

const ROOT = path.resolve(__dirname, '../..');
const TSX = require.resolve('tsx/cli', { paths: [ROOT] });
const ROWS = 2000;
const DIM = 16;

let dir: string;
let acts: string;

function gensparse(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TSX, path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-cli-'));
  // Sparse-ish rows: each a sum of 3 of 48 random directions with random magnitudes, plus noise.
  const rng = new Rng(7);
  const directions = Float32Array.from({ length: 48 * DIM }, () => rng.normal());
  const x = new Float32Array(ROWS * DIM);
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < 3; j++) {
      const f = rng.int(48);
      const m = 1 + rng.uniform();
      for (let d = 0; d < DIM; d++) x[r * DIM + d] += m * directions[f * DIM + d];
    }
    for (let d = 0; d < DIM; d++) x[r * DIM + d] += 0.05 * rng.normal();
  }
  acts = path.join(dir, 'acts.npy');
  writeNpy(acts, x, [ROWS, DIM]);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('gensparse train on a generated .npy', () => {
  let out: string;
  let result: ReturnType<typeof gensparse>;
  const args = ['--latents', '32', '--k', '4', '--steps', '20', '--batch-size', '64', '--log-every', '5'];

  beforeAll(() => {
    out = path.join(dir, 'run'); // absolute, and echoed as given
    result = gensparse([
      'train',
      '--data',
      acts,
      ...args,
      '--checkpoint-every',
      '10',
      '--held-out',
      '0.1',
      '--out',
      out,
    ]);
  }, 200_000);

  test('exits 0, shows a progress bar and echoes --out as given', () => {
    expect(result.stderr).toMatch(/topk \[#+\] 100%\s+20\/20/);
    expect(result.stderr).toContain(`wrote ${out}`);
    expect(result.stderr).toContain('training on the first 1800, holding out the last 200');
    expect(result.status).toBe(0);
  });

  test('metrics.jsonl: one record per reported step', () => {
    const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const records = lines.map((l) => JSON.parse(l));
    expect(records.map((r) => r.step)).toEqual([5, 10, 15, 20]);
    expect(records.map((r) => r.inputs)).toEqual([320, 640, 960, 1280]);
    for (const r of records) {
      for (const k of ['loss', 'mse', 'fvu', 'l0', 'deadFraction', 'lr', 'seconds'])
        expect(Number.isFinite(r[k])).toBe(true);
      expect(r.l0).toBe(4); // TopK: exactly k active per input
    }
    // The default schedule: linear warm-up over min(1000, 20/20 = 1) step, then constant, decaying over the last 20%.
    expect(records[0].lr).toBeGreaterThan(records[3].lr);
  });

  test('the checkpoint and the final folder hold the same step-20 weights', () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint/cfg.json'), 'utf8'));
    expect(cfg.metadata).toEqual({ dataset_path: acts, training_step: 20, training_steps: 20, training_inputs: 1280 });
    const a = loadSaeLens(path.join(out, 'checkpoint'));
    const b = loadSaeLens(path.join(out, 'sae'));
    const wa = a.foldedWeights();
    const wb = b.foldedWeights();
    for (const name of Object.keys(wb))
      expect(Array.from(wa[name].dataSync())).toEqual(Array.from(wb[name].dataSync()));
    for (const t of [...Object.values(wa), ...Object.values(wb)]) t.dispose();
    a.dispose();
    b.dispose();
  });

  test('the SAELens folder reloads exactly: re-evaluating it here gives eval.json to the last digit', async () => {
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'sae/cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({ architecture: 'topk', d_in: DIM, d_sae: 32, k: 4, normalize_activations: 'none' });
    const before = tf.memory().numTensors;
    const sae = loadSaeLens(path.join(out, 'sae'));
    const source = openNpy(acts);
    const heldOut = source.readRows(1800, 200);
    source.close();
    const again = await evaluateSae(sae, heldOut, { batchSize: 1024 });
    sae.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(saved).toMatchObject({ firstRow: 1800, rows: 200, inputs: 200, latents: 32 });
    for (const k of ['mse', 'fvu', 'l0', 'deadFraction', 'relativeReconstructionBias'] as const)
      expect(saved[k]).toBe(again[k]);
    expect(saved.densityHistogram).toEqual(again.densityHistogram);
    // Trained, not just saved: 20 steps explain some variance.
    expect(saved.fvu).toBeLessThan(1);
  });

  test('stopped after step 13 and resumed: the final SAELens weights are byte-identical to the uninterrupted run', () => {
    const stopped = path.join(dir, 'stopped');
    const common = [
      'train',
      '--data',
      acts,
      ...args,
      '--checkpoint-every',
      '10',
      '--held-out',
      '0.1',
      '--out',
      stopped,
    ];
    const first = gensparse([...common, '--stop-after', '13']);
    expect(first.stderr).toContain('stopped after step 13 of 20; continue with --resume');
    expect(first.status).toBe(0);
    expect(fs.existsSync(path.join(stopped, 'sae'))).toBe(false);
    // The stop wrote a checkpoint at step 13 (not a multiple of --checkpoint-every).
    expect(JSON.parse(fs.readFileSync(path.join(stopped, 'checkpoint/cfg.json'), 'utf8')).metadata.training_step).toBe(
      13,
    );
    const state = JSON.parse(fs.readFileSync(path.join(stopped, 'trainer-state/config.json'), 'utf8'));
    expect(state.stepsTaken).toBe(13);
    expect(state.source.kind).toBe('activation-buffer');

    const second = gensparse([...common, '--resume']);
    expect(second.stderr).toContain(`resuming ${stopped} at step 13 of 20`);
    expect(second.status).toBe(0);
    const weights = (run: string) => fs.readFileSync(path.join(run, 'sae/sae_weights.safetensors'));
    expect(weights(stopped).equals(weights(out))).toBe(true);
    // The metric log continues as if never stopped (the wall-clock seconds aside).
    const records = (run: string) =>
      fs
        .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const { seconds, ...rest } = JSON.parse(l);
          return rest;
        });
    expect(records(stopped)).toEqual(records(out));
    const evaluation = (run: string) => {
      const { sae, ...rest } = JSON.parse(fs.readFileSync(path.join(run, 'eval.json'), 'utf8'));
      return rest;
    };
    expect(evaluation(stopped)).toEqual(evaluation(out));
  }, 400_000);

  test('--k 3,4 --seeds 2: four SAEs in one run, each in its folder, each the same as a run of its own', () => {
    const sweep = path.join(dir, 'sweep');
    const stackArgs = ['--latents', '32', '--k', '3,4', '--seeds', '2', '--steps', '20', '--batch-size', '64'];
    const common = ['train', '--data', acts, ...stackArgs, '--log-every', '5', '--checkpoint-every', '10'];
    const r = gensparse([...common, '--out', sweep]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('4 SAEs (k-3-seed-0, k-3-seed-1, k-4-seed-0, k-4-seed-1)');
    const printed = JSON.parse(r.stdout);
    expect(printed.members.map((m: { name: string }) => m.name)).toEqual([
      'k-3-seed-0',
      'k-3-seed-1',
      'k-4-seed-0',
      'k-4-seed-1',
    ]);
    const run = JSON.parse(fs.readFileSync(path.join(sweep, 'run.json'), 'utf8'));
    expect(run.members.map((m: { config: { k: number; seed: number } }) => [m.config.k, m.config.seed])).toEqual([
      [3, 0],
      [3, 1],
      [4, 0],
      [4, 1],
    ]);
    for (const name of ['k-3-seed-0', 'k-3-seed-1', 'k-4-seed-0', 'k-4-seed-1']) {
      for (const file of [
        'metrics.jsonl',
        'checkpoint/cfg.json',
        'sae/cfg.json',
        'sae/sae_weights.safetensors',
        'eval.json',
      ])
        expect(fs.existsSync(path.join(sweep, name, file))).toBe(true);
      const k = Number(name[2]);
      const records = fs
        .readFileSync(path.join(sweep, name, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(records.map((l) => JSON.parse(l).l0)).toEqual([k, k, k, k]);
      const saved = loadSaeLens(path.join(sweep, name, 'sae')) as unknown as {
        k: number;
        seed: number;
        dispose(): void;
      };
      expect(saved.k).toBe(k);
      saved.dispose();
    }
    // k = 4 with seed 0 is the single run above (same data order, same init): byte for byte.
    const weights = (folder: string) => fs.readFileSync(path.join(folder, 'sae/sae_weights.safetensors'));
    expect(weights(path.join(sweep, 'k-4-seed-0')).equals(weights(out))).toBe(true);
    expect(weights(path.join(sweep, 'k-4-seed-1')).equals(weights(out))).toBe(false);
    const records = (folder: string) =>
      fs
        .readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const { seconds, ...rest } = JSON.parse(l);
          return rest;
        });
    expect(records(path.join(sweep, 'k-4-seed-0'))).toEqual(records(out));

    // stopped and resumed as a whole: the same four folders of weights
    const stopped = path.join(dir, 'sweep-stopped');
    expect(gensparse([...common, '--out', stopped, '--stop-after', '13']).status).toBe(0);
    const state = JSON.parse(fs.readFileSync(path.join(stopped, 'trainer-state/config.json'), 'utf8'));
    expect(state.kind).toBe('sae-stack');
    expect(state.members.map((m: { stepsTaken: number }) => m.stepsTaken)).toEqual([13, 13, 13, 13]);
    const resumed = gensparse([...common, '--out', stopped, '--resume']);
    expect(resumed.status).toBe(0);
    for (const name of ['k-3-seed-0', 'k-3-seed-1', 'k-4-seed-0', 'k-4-seed-1']) {
      expect(weights(path.join(stopped, name)).equals(weights(path.join(sweep, name)))).toBe(true);
      expect(records(path.join(stopped, name))).toEqual(records(path.join(sweep, name)));
    }
  }, 600_000);

  test('--resume refuses a folder without a checkpointed run, and changed options, by name', () => {
    const empty = gensparse(['train', '--data', acts, ...args, '--out', path.join(dir, 'nothing'), '--resume']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('holds no checkpointed run');
    const changed = [...args.slice(0, 1), '33', ...args.slice(2)]; // --latents 33
    const r = gensparse([
      'train',
      '--data',
      acts,
      ...changed,
      '--checkpoint-every',
      '10',
      '--held-out',
      '0.1',
      '--out',
      out,
      '--resume',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('was started with latents = 32, now 33');
  }, 60_000);

  test('a second run into the same folder is refused rather than mixed into its log', () => {
    const r = gensparse(['train', '--data', acts, ...args, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('already holds a run');
  }, 60_000);

  test('gensparse eval prints the same record and writes a density-histogram PNG', () => {
    const evalOut = path.join(dir, 'eval');
    const r = gensparse([
      'eval',
      '--sae',
      path.join(out, 'sae'),
      '--data',
      acts,
      '--first-row',
      '1800',
      '--out',
      evalOut,
    ]);
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
    expect(printed).toEqual(saved);
    const png = fs.readFileSync(path.join(evalOut, 'density.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(720); // IHDR width
    expect(JSON.parse(fs.readFileSync(path.join(evalOut, 'eval.json'), 'utf8'))).toEqual(saved);
  }, 60_000);
});

describe('argument errors and help (in process)', () => {
  function parse(argv: string[]): { out: string; err: string; code: number | undefined } {
    let out = '';
    let err = '';
    const program = buildProgram({ writeOut: (t) => (out += t), writeErr: (t) => (err += t), exitOverride: true });
    let code: number | undefined;
    try {
      // parse (not parseAsync): errors and help are thrown before any action would run.
      program.parse(argv, { from: 'user' });
    } catch (e) {
      code = (e as { exitCode?: number }).exitCode;
    }
    return { out, err, code };
  }

  test('--help on every command', () => {
    for (const command of [[], ['train'], ['eval'], ['lesson'], ['serve'], ['experiment']]) {
      const r = parse([...command, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: gensparse/);
    }
    expect(parse(['train', '--help']).out).toContain('--lr-schedule <name>');
  });

  test('--k takes a list and --seeds a count; a list may not repeat a value', () => {
    const base = ['train', '--data', 'a.npy', '--latents', '8', '--steps', '1', '--out', 'o'];
    expect(parse([...base, '--k', '8,x']).err).toContain("must be an integer >= 1, got 'x'");
    expect(parse([...base, '--seeds', '0']).err).toContain("must be an integer >= 1, got '0'");
    expect(parse(['train', '--help']).out).toContain('k-8-seed-0');
    const opts = {
      data: 'a.npy',
      architecture: 'topk' as const,
      latents: 8,
      steps: 1,
      batchSize: 4,
      lrSchedule: 'linear' as const,
      heldOut: 0,
      logEvery: 1,
      checkpointEvery: 0,
      seed: 5,
      out: 'o',
      resume: false,
    };
    const names = (o: Partial<TrainOptions>) => runMembers({ ...opts, seeds: 1, ...o }, 4).map((m) => m.name);
    expect(names({ k: [2] })).toEqual(['']);
    expect(names({ k: [2], seeds: 3 })).toEqual(['seed-5', 'seed-6', 'seed-7']);
    expect(names({ k: [2, 3] })).toEqual(['k-2', 'k-3']);
    expect(names({ architecture: 'relu-l1', seeds: 2 })).toEqual(['seed-5', 'seed-6']);
    expect(() => names({ k: [2, 3, 2] })).toThrow(/^--k: lists 2 twice/);
    expect(() => names({ architecture: 'relu-l1', k: [2, 3] })).toThrow(/^--k: has no meaning/);
  });

  test('typos in a command, an option or an architecture get "did you mean"', () => {
    expect(parse(['trian']).err).toContain('Did you mean train?');
    expect(
      parse(['train', '--data', 'a.npy', '--latents', '4', '--steps', '1', '--out', 'o', '--batchsize', '8']).err,
    ).toContain('Did you mean --batch-size?');
    const arch = parse(['train', '--architecture', 'jumprelo']);
    expect(arch.err).toContain("(did you mean 'jumprelu'?)");
    expect(arch.code).toBe(1);
    expect(parse(['train', '--lr-schedule', 'cosin']).err).toContain('Allowed choices are constant, linear, cosine');
    expect(parse(['train', '--steps', '-3']).err).toContain("must be an integer >= 1, got '-3'");
  });
});

test('the lesson CLI suggests the closest lesson id', () => {
  const r = spawnSync(process.execPath, [TSX, path.join(ROOT, 'src/server/lesson-cli.ts'), 'vae-intr'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toContain("no lesson 'vae-intr' (did you mean 'vae-intro'?)");
  expect(r.status).toBe(2);
}, 60_000);

test("lesson and experiment run the clone's own scripts (from any folder)", () => {
  const lessons = gensparse(['lesson', '--list']);
  expect(lessons.status).toBe(0);
  expect(lessons.stdout).toMatch(/vae-intro\s+ready/);
  const experiments = gensparse(['experiment', '--list']);
  expect(experiments.status).toBe(0);
  expect(experiments.stdout).toContain('dead-latents');
}, 120_000);

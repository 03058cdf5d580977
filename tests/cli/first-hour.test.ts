/**
 * The mistakes a new user makes with `gensparse train` and `eval` on a real activation file, and
 * what the command must say: a config the SAE refuses (k > latents) leaves --out untouched, a NaN
 * or infinity is named by file, row and column, an --out that is a file and an --sae that is a run
 * folder are named as such, and a changed option on --resume says how to write the original.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { outputFolder } from '../../src/cli/args';
import { openRowSet } from '../../src/cli/data';
import { InputError } from '../../src/core/errors';
import { Rng } from '../../src/core/random';
import { writeNpy } from '../../src/data/npy';

const ROOT = path.resolve(__dirname, '../..');
const TSX = require.resolve('tsx/cli', { paths: [ROOT] });
const ROWS = 600;
const DIM = 8;

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

function randomRows(rows: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * DIM }, () => rng.normal());
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-first-hour-'));
  acts = path.join(dir, 'acts.npy');
  writeNpy(acts, randomRows(ROWS, 3), [ROWS, DIM]);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('non-finite activations are named by file, row and column', () => {
  test.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('%s in the second file of a folder', (name, value) => {
    const folder = path.join(dir, `folder-${name}`);
    fs.mkdirSync(folder);
    writeNpy(path.join(folder, 'a.npy'), randomRows(10, 1), [10, DIM]);
    const b = randomRows(10, 2);
    b[7 * DIM + 3] = value; // the second file's row 7, column 3 (row 17 of the whole matrix)
    writeNpy(path.join(folder, 'b.npy'), b, [10, DIM]);
    const set = openRowSet(folder);
    try {
      expect(set.readRows(0, 17).length).toBe(17 * DIM); // rows before it read fine
      const read = () => set.readRows(12, 8);
      expect(read).toThrow(InputError);
      expect(read).toThrow(`${path.join(folder, 'b.npy')}: row 7, column 3 is ${name}`);
    } finally {
      set.close();
    }
  });

  test('gensparse train stops on the NaN before training, naming it', () => {
    const x = randomRows(ROWS, 4);
    x[5 * DIM + 2] = Number.NaN;
    const file = path.join(dir, 'nan.npy');
    writeNpy(file, x, [ROWS, DIM]);
    const r = gensparse(['train', '--data', file, '--latents', '16', '--k', '2', '--steps', '5', '--out', 'nan-run']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nan.npy: row 5, column 2 is NaN');
    expect(fs.existsSync(path.join(dir, 'nan-run', 'metrics.jsonl'))).toBe(false);
  }, 120_000);
});

test('k > latents is refused by name and --out is left untouched (a corrected rerun can use it)', () => {
  const r = gensparse(['train', '--data', acts, '--latents', '16', '--k', '40', '--steps', '5', '--out', 'k-run']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('--k: must be an integer in [1, nLatents=16], got 40');
  expect(fs.existsSync(path.join(dir, 'k-run'))).toBe(false);
}, 120_000);

test('an --out that is a file is refused before anything runs', () => {
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, 'x');
  expect(() => outputFolder(file)).toThrow(InvalidArgumentError);
  expect(() => outputFolder(file)).toThrow('is a file; name a folder');
  expect(outputFolder(path.join(dir, 'not-yet'))).toBe(path.join(dir, 'not-yet'));
  expect(outputFolder(dir)).toBe(dir);
  const r = gensparse(['train', '--data', acts, '--latents', '16', '--k', '2', '--steps', '5', '--out', file]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain(`'${file}' is a file`);
  expect(r.stderr).not.toContain('    at ');
}, 120_000);

describe('a short run, then the mistakes around it', () => {
  const args = ['--data', 'acts.npy', '--latents', '16', '--k', '2', '--steps', '6', '--batch-size', '32'];

  beforeAll(() => {
    const r = gensparse(['train', ...args, '--checkpoint-every', '2', '--stop-after', '4', '--out', 'run']);
    if (r.status !== 0) throw new Error(r.stderr);
  }, 180_000);

  test('--resume with a default that differs from the saved option says how to write it', () => {
    const r = gensparse(['train', ...args, '--out', 'run', '--resume']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('resume with the same options: --checkpoint-every 2');
  }, 120_000);

  test('eval names a missing --sae, and a run folder given for --sae', () => {
    const missing = gensparse(['eval', '--sae', 'no-such-run/sae', '--data', 'acts.npy']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--sae: no-such-run/sae does not exist');
    // The stopped run has no sae/ yet; finish it, then point eval at the run folder itself.
    const resumed = gensparse(['train', ...args, '--checkpoint-every', '2', '--out', 'run', '--resume']);
    expect(resumed.status).toBe(0);
    const runFolder = gensparse(['eval', '--sae', 'run', '--data', 'acts.npy']);
    expect(runFolder.status).toBe(2);
    expect(runFolder.stderr).toContain(`--sae: run is a training run's folder; its SAE is ${path.join('run', 'sae')}`);
  }, 240_000);
});

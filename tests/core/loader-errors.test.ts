/**
 * Broken checkpoint folders give InputErrors that name the file and what is wrong (they used to
 * give a bare SyntaxError, "Cannot read properties of null" or a raw EISDIR), and a load that
 * fails leaves no tensors behind.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';
import { loadCheckpoint, saveCheckpoint } from '../../src/core/checkpoint';
import { createSae } from '../../src/sae/create';
import { loadSaeLens, saveSaeLens } from '../../src/sae/saelens';
import { Vae } from '../../src/vae/model';
import { loadVae, saveVae } from '../../src/vae/checkpoint';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-loaders-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The three loaders, each with a folder saved by its own writer. */
const LOADERS = [
  {
    name: 'loadCheckpoint',
    config: 'config.json',
    weights: 'model.safetensors',
    save: (dir: string) => saveCheckpoint(dir, { config: { kind: 'test' }, tensors: { w: tf.ones([3]) } }),
    load: (dir: string) => tf.dispose(Object.values(loadCheckpoint(dir).tensors)),
  },
  {
    name: 'loadVae',
    config: 'config.json',
    weights: 'model.safetensors',
    save: async (dir: string) => {
      const vae = new Vae({ inputDim: 6, latentDim: 2, hidden: [5] }, new Rng(1));
      await saveVae(dir, vae);
      vae.dispose();
    },
    load: (dir: string) => loadVae(dir).model.dispose(),
  },
  {
    name: 'loadSaeLens',
    config: 'cfg.json',
    weights: 'sae_weights.safetensors',
    save: async (dir: string) => {
      const sae = createSae({ architecture: 'topk', dIn: 6, nLatents: 12, k: 2 });
      await saveSaeLens(dir, sae);
      sae.dispose();
    },
    load: (dir: string) => loadSaeLens(dir).dispose(),
  },
];

describe.each(LOADERS)('$name', ({ name, config, weights, save, load }) => {
  const fresh = async (label: string) => {
    const dir = path.join(root, `${name}-${label}`);
    await save(dir);
    load(dir); // the untouched folder loads
    return dir;
  };
  const expectNamed = (dir: string, file: string, detail: RegExp) => {
    expect(() => load(dir)).toThrow(InputError);
    let message = '';
    try {
      load(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.startsWith(`${path.join(dir, file)}: `)).toBe(true);
    expect(message).toMatch(detail);
  };

  test('an empty, truncated, null or non-object config names the file', async () => {
    const dir = await fresh('config');
    const file = path.join(dir, config);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, '');
    expectNamed(dir, config, /is empty: an interrupted save or not a config file/);
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    expectNamed(dir, config, /is not valid JSON \(.*\): a truncated or corrupted file/);
    fs.writeFileSync(file, 'null');
    expectNamed(dir, config, /holds null, expected a JSON object/);
    fs.writeFileSync(file, '[1, 2]');
    expectNamed(dir, config, /holds an array, expected a JSON object/);
    fs.rmSync(file);
    fs.mkdirSync(file);
    expectNamed(dir, config, /is a directory, expected a file/);
  });

  test('a directory or a truncated file where the weights should be names the file', async () => {
    const dir = await fresh('weights');
    const file = path.join(dir, weights);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    expectNamed(dir, weights, /truncated file/);
    fs.writeFileSync(file, bytes.subarray(0, 5));
    expectNamed(dir, weights, /too short for the 8-byte header length/);
    fs.rmSync(file);
    fs.mkdirSync(file);
    expectNamed(dir, weights, /is a directory, expected a file/);
    fs.rmdirSync(file);
    expectNamed(dir, weights, /no such file/);
  });
});

test('a VAE config.json without its "vae" object names the file', async () => {
  const dir = path.join(root, 'vae-no-config');
  await saveCheckpoint(dir, { config: { kind: 'gensparse-vae', vae: null }, tensors: { w: tf.ones([2]) } });
  expect(() => loadVae(dir)).toThrow(`${path.join(dir, 'config.json')}: has no "vae" config object (got null)`);
});

describe('a failed load leaves no tensors behind', () => {
  test('100 loadSaeLens calls on truncated weights and 100 with mismatched overrides', async () => {
    const dir = path.join(root, 'leak-sae');
    const sae = createSae({ architecture: 'jumprelu', dIn: 6, nLatents: 12 });
    await saveSaeLens(dir, sae);
    sae.dispose();
    const file = path.join(dir, 'sae_weights.safetensors');
    const bytes = fs.readFileSync(file);
    const before = tf.memory().numTensors;
    // Overrides that change the sizes fail after the model is built.
    for (let i = 0; i < 100; i++) expect(() => loadSaeLens(dir, { nLatents: 10 })).toThrow(InputError);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    for (let i = 0; i < 100; i++) expect(() => loadSaeLens(dir)).toThrow(/truncated file/);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('100 loadVae calls on a shape mismatch', async () => {
    const dir = path.join(root, 'leak-vae');
    const vae = new Vae({ inputDim: 6, latentDim: 2, hidden: [5] }, new Rng(1));
    await saveVae(dir, vae);
    vae.dispose();
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    config.vae.hidden = [4]; // same parameter names, other shapes
    fs.writeFileSync(file, JSON.stringify(config));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++)
      expect(() => loadVae(dir)).toThrow(/^dec\.dense0\.W: shape \[2,5\] in .* does not match the config's \[2,4\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

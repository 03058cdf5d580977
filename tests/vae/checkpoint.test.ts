import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core';
import { saveCheckpoint } from '../../src/core/node';
import { Vae } from '../../src/vae';
import { loadVae, saveVae } from '../../src/vae/node';
import { leakedBy } from './helpers';

describe('VAE checkpoints', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-vae-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a saved VAE loads back with the same config, weights and outputs, without leaks', async () => {
    const model = new Vae(
      { inputDim: 12, latentDim: 3, hidden: [8, 6], activation: 'elu', likelihood: 'gaussian', sigma: 0.5 },
      new Rng(1),
    );
    const x = tf.randomUniform([4, 12], 0, 1, 'float32', 2) as tf.Tensor2D;
    const leaked = await leakedBy(async () => {
      await saveVae(path.join(dir, 'a'), model, { epochs: 3 });
      const { model: back, meta } = loadVae(path.join(dir, 'a'));
      expect(back.config).toEqual(model.config);
      expect(meta).toEqual({ epochs: 3 });
      const [a, b] = [model.encode(x), back.encode(x)];
      expect(Array.from(await b.muBZ.data())).toEqual(Array.from(await a.muBZ.data()));
      expect(Array.from(await b.logVarBZ.data())).toEqual(Array.from(await a.logVarBZ.data()));
      tf.dispose([a.muBZ, a.logVarBZ, b.muBZ, b.logVarBZ]);
      back.dispose();
    });
    expect(leaked).toBe(0);
    x.dispose();
    model.dispose();
  });

  test('another kind of checkpoint or a parameter set that does not match is refused, naming the folder', async () => {
    await saveCheckpoint(path.join(dir, 'other'), { config: { kind: 'sae' }, tensors: { W: tf.zeros([2, 2]) } });
    expect(() => loadVae(path.join(dir, 'other'))).toThrow(/^dir: .* holds a 'sae' checkpoint, not a gensparse VAE/);
    const model = new Vae({ inputDim: 4, latentDim: 2, hidden: [3] }, new Rng(3));
    const tensors = model.params.snapshot();
    tensors['enc.dense0.W'].dispose();
    delete tensors['enc.dense0.W'];
    await saveCheckpoint(path.join(dir, 'partial'), { config: { kind: 'gensparse-vae', vae: model.config }, tensors });
    expect(() => loadVae(path.join(dir, 'partial'))).toThrow(/missing: enc\.dense0\.W/);
    tf.dispose(Object.values(tensors));
    model.dispose();
  });
});

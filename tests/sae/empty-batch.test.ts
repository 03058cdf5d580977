/**
 * A batch of 0 rows is refused by name before any kernel runs (it used to give a loss of
 * ~1e-29 that changed from call to call, or a WebAssembly "divide by zero" in Matryoshka's
 * reference path), on every architecture, kernel and reference path, without leaking tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';
import { type SaeConfig, createSae } from '../../src/sae/create';
import { Vae } from '../../src/vae';

const ARCHITECTURES = ['relu-l1', 'topk', 'batch-topk', 'jumprelu', 'matryoshka', 'matryoshka-batch-topk'] as const;

describe.each(ARCHITECTURES)('%s', (architecture) => {
  test.each([true, false])('forward on [0, dIn] throws InputError naming x (useKernels %s)', (useKernels) => {
    const k = architecture === 'relu-l1' || architecture === 'jumprelu' ? {} : { k: 2 }; // own options only
    const sae = createSae({ architecture, dIn: 8, nLatents: 16, ...k, useKernels } as SaeConfig);
    const empty = tf.zeros([0, 8]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    expect(() => sae.forward(empty)).toThrow(InputError);
    expect(() => sae.forward(empty)).toThrow(/^x: expected shape \[\*, 8\], got \[0, 8\]: empty/);
    expect(tf.memory().numTensors).toBe(before);
    empty.dispose();
    sae.dispose();
  });
});

test('the VAE refuses an empty batch in encode and decode', () => {
  const vae = new Vae({ inputDim: 6, latentDim: 2, hidden: [4] }, new Rng(1));
  const x = tf.zeros([0, 6]) as tf.Tensor2D;
  const z = tf.zeros([0, 2]) as tf.Tensor2D;
  expect(() => vae.encode(x)).toThrow(/^x: expected shape \[\*, 6\], got \[0, 6\]: empty/);
  expect(() => vae.decode(z)).toThrow(/^z: expected shape \[\*, 2\], got \[0, 2\]: empty/);
  tf.dispose([x, z]);
  vae.dispose();
});

/** The sharing wasm Identity kernel (kernels/wasm-patches/identity.ts): same values, no copy, no leak. */
import * as tf from '@tensorflow/tfjs';
import { Rng, installSharedWasmIdentity, uninstallSharedWasmIdentity } from '../../src';

const onWasm = () => tf.getBackend() === 'wasm';

describe('wasm Identity shares memory', () => {
  test('a clone costs no bytes, outlives its original, and frees the memory with the last reference', () => {
    if (!onWasm()) return; // cpu's Identity already shares; nothing wasm-specific to check
    installSharedWasmIdentity();
    const x = new Rng(3).randomNormal([257, 129]);
    const want = Array.from(x.dataSync());
    const before = tf.memory();
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers); // shared, not copied
    expect(tf.engine().backend.numDataIds()).toBe(before.numDataBuffers);
    expect(tf.memory().numTensors).toBe(before.numTensors + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(want);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers - 1); // freed with the last reference
    expect(tf.engine().backend.numDataIds()).toBe(before.numDataBuffers - 1);
  });

  test('gradients through saved tensors equal those of the copying kernel', () => {
    if (!onWasm()) return;
    const rng = new Rng(8);
    const x = rng.randomNormal([33, 65]);
    const w = rng.randomNormal([65, 17]);
    const loss = (ww: tf.Tensor) => tf.relu(tf.matMul(x, ww)).square().sum();
    const run = () => {
      const before = tf.memory().numTensors;
      const g = tf.grad(loss)(w);
      const out = Array.from(g.dataSync());
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    uninstallSharedWasmIdentity();
    const copying = run();
    installSharedWasmIdentity();
    const sharing = run();
    expect(sharing).toEqual(copying);
    tf.dispose([x, w]);
  });
});

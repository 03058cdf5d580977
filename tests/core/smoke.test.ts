import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend } from '../../src';

test('smoke', async () => {
  const r = await initBackend();
  console.log(describeBackend(r), tf.getBackend());
});

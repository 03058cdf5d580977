/**
 * The SIMD transpose on wasm (kernels/wasm-patches/transpose.ts): the last two axes swapped equal a
 * plain index loop exactly (4x4 blocks, 32x32 tiles and their edges, a batch), other permutations and
 * int32 fall back to tfjs's kernel, and nothing is left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/random';
import { installFastWasmTranspose, uninstallFastWasmTranspose } from '../../kernels/wasm-patches/transpose';

const onWasm = () => tf.getBackend() === 'wasm';

/** x [..., r, c] with its last two axes swapped, by index. */
function plainTranspose(x: Float32Array | Int32Array, shape: number[]): number[] {
  const [r, c] = shape.slice(-2);
  const items = x.length / (r * c);
  const out: number[] = new Array(x.length);
  for (let s = 0; s < items; s++)
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[s * r * c + j * r + i] = x[s * r * c + i * c + j];
  return out;
}

describe('the SIMD transpose on wasm', () => {
  test.each([
    [[1, 1]],
    [[3, 5]],
    [[4, 4]],
    [[7, 9]],
    [[32, 32]],
    [[33, 65]], // a 32x32 tile, partial tiles and both edges
    [[64, 130]],
    [[2, 3, 5, 8]], // a batch of 6
    [[3, 36, 12]],
  ])('shape %j equals a plain index loop, exactly', async (shape) => {
    if (!onWasm()) return; // the cpu project has tfjs's own transpose only
    installFastWasmTranspose();
    const x = new Rng(shape.reduce((a, b) => a * b, 7)).randomNormal(shape);
    const perm = [...shape.keys()];
    [perm[shape.length - 2], perm[shape.length - 1]] = [perm[shape.length - 1], perm[shape.length - 2]];
    const before = tf.memory().numTensors;
    const y = tf.transpose(x, perm);
    expect(y.shape).toEqual([...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]]);
    expect(Array.from(await y.data())).toEqual(plainTranspose((await x.data()) as Float32Array, shape));
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  test("other permutations and int32 run tfjs's kernel, with the same result as without the patch", async () => {
    if (!onWasm()) return;
    const x = new Rng(9).randomNormal([3, 4, 5]);
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const values = async (t: tf.Tensor) => {
      const v = Array.from(await t.data());
      t.dispose();
      return v;
    };
    const run = async () => [
      await values(tf.transpose(x, [2, 0, 1])),
      await values(tf.transpose(x, [1, 0, 2])),
      await values(tf.transpose(ints)),
    ];
    installFastWasmTranspose();
    const patched = await run();
    uninstallFastWasmTranspose();
    const stock = await run();
    installFastWasmTranspose();
    expect(patched).toEqual(stock);
    expect(patched[2]).toEqual([1, 4, 2, 5, 3, 6]);
    tf.dispose([x, ints]);
  });
});

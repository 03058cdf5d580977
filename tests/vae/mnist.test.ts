import { mnistDataset } from '../../src/vae/node';

describe('MNIST as a VAE dataset', () => {
  test('flattens 28x28 digits to rows of 784 values in [0, 1] with labels; stochastic binarisation is seeded', () => {
    const a = mnistDataset({ split: 'test', limit: 20 });
    expect([a.n, a.dim, a.x.length, a.labels!.length]).toEqual([20, 784, 20 * 784, 20]);
    expect(Math.min(...a.x)).toBe(0);
    expect(Math.max(...a.x)).toBe(1);
    expect(Array.from(a.labels!.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]); // the first test digits
    const b1 = mnistDataset({ split: 'test', limit: 20, binarize: 'stochastic', seed: 3 });
    const b2 = mnistDataset({ split: 'test', limit: 20, binarize: 'stochastic', seed: 3 });
    expect(new Set(b1.x)).toEqual(new Set([0, 1]));
    expect(Array.from(b1.x)).toEqual(Array.from(b2.x));
  });
});

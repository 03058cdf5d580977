import * as tf from '@tensorflow/tfjs';
import {
  checkFinite,
  checkFiniteArray,
  checkInt,
  checkNumber,
  checkOneOf,
  checkShape,
  ConfigError,
  InputError,
  Params,
} from '../../src';

describe('bad input is reported by name', () => {
  test('wrong shapes name the argument, the expected and the actual shape', () => {
    const x = tf.ones([3, 5]);
    expect(() => checkShape('x', x, [null, 784])).toThrow(InputError);
    expect(() => checkShape('x', x, [null, 784])).toThrow('x: expected shape [*, 784], got [3, 5]');
    expect(() => checkShape('images', x, [3, 5, 1])).toThrow('images: expected shape [3, 5, 1], got [3, 5]');
    expect(() => checkShape('x', x, [3, null])).not.toThrow();
    x.dispose();
  });

  test('non-finite values are reported with the argument and the first bad index', async () => {
    expect(() => checkFiniteArray('batch', [0.5, 1, NaN, 2])).toThrow(
      'batch: must be finite, found NaN at flat index 2',
    );
    expect(() => checkFiniteArray('batch', new Float32Array([1, Infinity]))).toThrow(
      /batch: must be finite, found Infinity at flat index 1/,
    );
    const t = tf.tensor([1, 2, -Infinity]);
    await expect(checkFinite('logVar', t)).rejects.toThrow('logVar: must be finite, found -Infinity at flat index 2');
    t.dispose();
  });

  test('numbers out of range name the argument and the allowed range', () => {
    expect(() => checkNumber('beta', -1, { min: 0 })).toThrow('beta: must be a number in [0, Infinity], got -1');
    expect(() => checkNumber('lr', 0, { min: 0, minOpen: true })).toThrow(
      'lr: must be a number in (0, Infinity], got 0',
    );
    expect(() => checkNumber('p', NaN, { min: 0, max: 1 })).toThrow(ConfigError);
    expect(() => checkInt('k', 0, 1, 64)).toThrow('k: must be an integer in [1, 64], got 0');
    expect(() => checkInt('k', 65, 1, 64)).toThrow(/got 65/);
    expect(() => checkOneOf('likelihood', 'poisson' as 'bernoulli', ['bernoulli', 'gaussian'])).toThrow(
      "likelihood: must be one of 'bernoulli', 'gaussian', got 'poisson'",
    );
    expect(checkNumber('beta', 0.5, { min: 0 })).toBe(0.5);
  });

  test('parameters refuse mismatched shapes and unknown names', () => {
    const p = new Params('errs');
    p.add('W', tf.ones([2, 3]));
    expect(() => p.assign({ W: tf.ones([3, 2]) })).toThrow('W: shape [3,2] does not match parameter shape [2,3]');
    expect(() => p.get('V')).toThrow("name: no parameter 'V'; have W");
    expect(() => p.add('W', tf.ones([1]))).toThrow("parameter 'W' already exists");
    p.dispose();
  });
});

describe('empty batches and non-tensors', () => {
  test('a * axis matches sizes of at least 1: zero rows is an InputError saying so', () => {
    const empty = tf.zeros([0, 8]);
    expect(() => checkShape('x', empty, [null, 8])).toThrow(InputError);
    expect(() => checkShape('x', empty, [null, 8])).toThrow('x: expected shape [*, 8], got [0, 8]: empty');
    expect(() => checkShape('x', empty, [0, 8])).not.toThrow(); // an explicit 0 still matches 0
    empty.dispose();
  });

  test('null, undefined or a plain array in place of a tensor is an InputError, not a TypeError', () => {
    for (const bad of [null, undefined, [1, 2], 'x']) {
      expect(() => checkShape('x', bad as unknown as tf.Tensor, [null, 8])).toThrow(
        /^x: must be a tensor of shape \[\*, 8\], got /,
      );
    }
  });
});

import { formatComparison } from '../../bench/compare';
import { unknownSections } from '../../bench/index';
import { editDistance } from '../../src/cli/suggest';

describe('bench command line', () => {
  test('edit distance against hand-counted cases', () => {
    expect(editDistance('cores', 'core')).toBe(1);
    expect(editDistance('sea', 'sae')).toBe(2);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'vae')).toBe(3);
    expect(editDistance('vae', 'vae')).toBe(0);
  });

  test('an unknown section is an error with the closest name, not an empty table', () => {
    const sections = ['core', 'data', 'kernels', 'pytorch', 'sae', 'vae'];
    expect(unknownSections(['core', 'sae'], sections)).toEqual([]);
    expect(unknownSections(['cores'], sections)).toEqual([
      "unknown benchmark section 'cores'; did you mean 'core'? (sections: core, data, kernels, pytorch, sae, vae)",
    ]);
    expect(unknownSections(['zzzzzzzz'], sections)[0]).toMatch(/^unknown benchmark section 'zzzzzzzz' \(sections:/);
  });
});

describe('package vs PyTorch table', () => {
  test('ratios: step / own floor, package / PyTorch; missing sides are dashes', () => {
    const table = formatComparison([
      { section: 'sae', name: 'floor', fastMs: 400, compareKey: 'floor' },
      { section: 'sae', name: 'topk', fastMs: 600, compareKey: 'topk' },
      { section: 'sae', name: 'matryoshka', fastMs: 800, compareKey: 'matryoshka' },
      { section: 'vae', name: 'vae', fastMs: 40, compareKey: 'vae' },
      { section: 'pytorch', name: 'floor', fastMs: 50, compareKey: 'floor' },
      { section: 'pytorch', name: 'topk', fastMs: 300, compareKey: 'topk' },
      { section: 'pytorch', name: 'vae', fastMs: 8, compareKey: 'vae' },
      { section: 'core', name: 'unrelated', fastMs: 1 },
    ]);
    expect(table.split('\n').slice(2)).toEqual([
      '| encoder matmul [1024,512] x [512,8192] | 400 | 1.00 | 50.0 | 8.00 |',
      '| TopK | 600 | 1.50 | 300 | 2.00 |',
      '| Matryoshka (every prefix) | 800 | 2.00 | — | — |',
      '| VAE 784-512-20, B=128 | 40.0 | — | 8.0 | 5.00 |',
    ]);
    expect(formatComparison([{ section: 'core', name: 'x', fastMs: 1 }])).toBe('');
  });
});

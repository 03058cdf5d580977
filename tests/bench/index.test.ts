import { formatComparison } from '../../bench/compare';
import { editDistance, unknownSections } from '../../bench/index';

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

  test('small-size rows use the small floor; the sparsify-style PyTorch TopK is set against the TopK step', () => {
    const table = formatComparison([
      { section: 'sae', name: 'floor', fastMs: 400, compareKey: 'floor' },
      { section: 'sae', name: 'topk', fastMs: 600, compareKey: 'topk' },
      { section: 'sae', name: 'small floor', fastMs: 0.5, compareKey: 'small/floor' },
      { section: 'sae', name: 'small topk', fastMs: 20, compareKey: 'small/topk' },
      { section: 'pytorch', name: 'topk', fastMs: 300, compareKey: 'topk' },
      { section: 'pytorch', name: 'sparsify', fastMs: 200, compareKey: 'topk-sparsify' },
      { section: 'pytorch', name: 'small topk', fastMs: 10, compareKey: 'small/topk' },
    ]);
    expect(table.split('\n').slice(2)).toEqual([
      '| encoder matmul [1024,512] x [512,8192] | 400 | 1.00 | — | — |',
      '| TopK | 600 | 1.50 | 300 | 2.00 |',
      '| TopK vs PyTorch sparsify-style (sparse encoder backward) | 600 | 1.50 | 200 | 3.00 |',
      '| encoder matmul [256,64] x [64,256] | 0.5 | 1.00 | — | — |',
      '| TopK d=64 n=256 k=5 B=256 | 20.0 | 40.00 | 10.0 | 2.00 |',
    ]);
  });
});

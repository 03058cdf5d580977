import { bestParents, classifySplits, stitch } from '../../src/analysis/splitting';
import { Rng } from '../../src/core/random';

const D = 6;
const e = (i: number, scale = 1) => Array.from({ length: D }, (_, c) => (c === i ? scale : 0));
const mix = (a: number[], b: number[], wa: number, wb: number) => a.map((v, c) => wa * v + wb * b[c]);
// Level 0: u0 = e0, u1 = e1. Level 1: a copy of u0, two distinct children of u1
// (cos 0.8 with u1, 0.64 with each other), and a new direction e5.
const level0 = { n: 2, rows: Float32Array.from([...e(0), ...e(1)]) };
const c1a = mix(e(1), e(2), 0.8, 0.6);
const c1b = mix(e(1), e(3), 0.8, 0.6);
const level1 = { n: 4, rows: Float32Array.from([...e(0, 2), ...c1a, ...c1b, ...e(5)]) };

test('best parents by decoder cosine equal the brute-force argmax on random rows', () => {
  const rng = new Rng(4);
  const a = { n: 9, rows: Float32Array.from({ length: 9 * 5 }, () => rng.normal()) };
  const b = { n: 7, rows: Float32Array.from({ length: 7 * 5 }, () => rng.normal()) };
  const { parent, cosine } = bestParents(a, b, 5);
  for (let j = 0; j < 9; j++) {
    const cos = Array.from({ length: 7 }, (_, i) => {
      const u = a.rows.subarray(j * 5, j * 5 + 5);
      const v = b.rows.subarray(i * 5, i * 5 + 5);
      const dot = u.reduce((s, x, c) => s + x * v[c], 0);
      return dot / Math.hypot(...u) / Math.hypot(...v);
    });
    expect(parent[j]).toBe(cos.indexOf(Math.max(...cos)));
    expect(cosine[j]).toBeCloseTo(Math.max(...cos), 6);
  }
});

test('a copy is a match, two children of one parent a split, an orthogonal row new; fractions sum to one', () => {
  const { kind, fractions } = classifySplits(bestParents(level1, level0, D), 0.5);
  expect(kind).toEqual(['match', 'split', 'split', 'new']);
  expect(fractions).toEqual({ match: 0.25, split: 0.5, new: 0.25 });
});

test('stitching keeps distinct children, keeps the parent of near-copies, and adds new latents', () => {
  // Children pairwise cosine 0.64: distinct when the bar is 0.9, near-copies when it is 0.5.
  expect(stitch([level0, level1], D, 0.5, 0.9)).toEqual([
    { level: 1, index: 0 },
    { level: 1, index: 1 },
    { level: 1, index: 2 },
    { level: 1, index: 3 },
  ]);
  expect(stitch([level0, level1], D, 0.5, 0.5)).toEqual([
    { level: 1, index: 0 },
    { level: 0, index: 1 },
    { level: 1, index: 3 },
  ]);
  // One level: the dictionary itself.
  expect(stitch([level0], D, 0.5, 0.5)).toEqual([
    { level: 0, index: 0 },
    { level: 0, index: 1 },
  ]);
});

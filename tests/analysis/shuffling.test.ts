import { neighbourCosine, tokensToReach } from '../../src/analysis/shuffling';
import { Rng } from '../../src/core/random';

test('tokensToReach interpolates between the bracketing evaluations, and says null when never reached', () => {
  const curve: Array<[number, number]> = [
    [100, 1.0],
    [200, 0.6],
    [300, 0.4],
    [400, 0.45],
  ];
  expect(tokensToReach(curve, 2)).toBe(100);
  expect(tokensToReach(curve, 0.8)).toBeCloseTo(150, 10);
  expect(tokensToReach(curve, 0.4)).toBe(300);
  expect(tokensToReach(curve, 0.3)).toBeNull();
  expect(() =>
    tokensToReach(
      [
        [2, 1],
        [1, 0],
      ],
      0.5,
    ),
  ).toThrow(/curve/);
});

test('neighbourCosine: a slow random walk is serially correlated, shuffled rows are not', () => {
  const rng = new Rng(9);
  const M = 600;
  const D = 8;
  const walk = new Float32Array(M * D);
  for (let r = 0; r < M; r++) {
    for (let c = 0; c < D; c++) walk[r * D + c] = (r > 0 ? walk[(r - 1) * D + c] : 0) + rng.normal() * 0.1;
  }
  const w = neighbourCosine(walk, D, 1, 1);
  expect(w.neighbour).toBeGreaterThan(0.9);
  expect(Math.abs(w.random)).toBeLessThan(w.neighbour);
  // Independent rows: both near 0. The naive mean over every neighbour pair, computed directly for lag 2.
  const iid = Float32Array.from({ length: M * D }, () => rng.normal());
  const v = neighbourCosine(iid, D, 2, 1);
  expect(Math.abs(v.neighbour)).toBeLessThan(0.1);
  expect(Math.abs(v.random)).toBeLessThan(0.1);
  const mean = Array.from({ length: D }, (_, c) => {
    let s = 0;
    for (let r = 0; r < M; r++) s += iid[r * D + c];
    return s / M;
  });
  let total = 0;
  for (let i = 0; i + 2 < M; i++) {
    const a = Array.from({ length: D }, (_, c) => iid[i * D + c] - mean[c]);
    const b = Array.from({ length: D }, (_, c) => iid[(i + 2) * D + c] - mean[c]);
    const dot = a.reduce((s, x, c) => s + x * b[c], 0);
    total += dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
  }
  expect(v.neighbour).toBeCloseTo(total / (M - 2), 10);
});

import { dominates, paretoFront, paretoMask, paretoPoints } from '../../src/analysis/frontier';
import { Rng } from '../../src/core/random';

test('dominance: lower x and better y, strictly better on one axis', () => {
  expect(dominates([1, 1], [2, 2], 'lower')).toBe(true);
  expect(dominates([1, 1], [1, 1], 'lower')).toBe(false);
  expect(dominates([1, 3], [2, 2], 'higher')).toBe(true);
  expect(dominates([1, 3], [2, 2], 'lower')).toBe(false);
});

test('the lower-is-better front equals the chart helper paretoFront; the higher-is-better front is the negated one', () => {
  const rng = new Rng(8);
  for (let trial = 0; trial < 20; trial++) {
    const pts = Array.from({ length: 25 }, () => [Math.round(rng.uniform() * 10), rng.uniform()] as [number, number]);
    expect(paretoPoints(pts, 'lower')).toEqual(paretoFront(pts));
    const negated = paretoPoints(
      pts.map(([x, y]) => [x, -y]),
      'lower',
    ).map(([x, y]) => [x, -y]);
    expect(paretoPoints(pts, 'higher')).toEqual(negated);
    // Brute force: a point is on the front iff no other point dominates it.
    const mask = paretoMask(pts, 'higher');
    pts.forEach((p, i) => expect(mask[i]).toBe(!pts.some((q, j) => j !== i && dominates(q, p, 'higher'))));
  }
  expect(
    paretoMask(
      [
        [1, Number.NaN],
        [2, 1],
      ],
      'lower',
    ),
  ).toEqual([false, true]);
});

/**
 * teeSource: every consumer reads the upstream's batches in the same order, each drawn once,
 * however the consumers interleave; a consumer asking for another batch size is refused.
 */
import { InputError } from '../../src/core/errors';
import { Rng } from '../../src/core/random';
import { type ActivationSource, ArraySource, teeSource } from '../../src/data/source';

/** An upstream that counts its draws. */
function counting(data: Float32Array, dim: number): ActivationSource & { draws: number } {
  const inner = new ArraySource(data, dim);
  const s = {
    dim,
    draws: 0,
    nextBatch(b: number) {
      s.draws++;
      return inner.nextBatch(b);
    },
  };
  return s;
}

test('three consumers, interleaved at random, each read the upstream batches in order, drawn once', () => {
  const [dim, rows, B, batches] = [3, 50, 4, 20];
  const rng = new Rng(7);
  const data = Float32Array.from({ length: rows * dim }, () => rng.normal());
  const expected = new ArraySource(data, dim);
  const want = Array.from({ length: batches }, () => expected.nextBatch(B));
  const up = counting(data, dim);
  const tees = teeSource(up, 3);
  const got: Float32Array[][] = [[], [], []];
  while (got.some((g) => g.length < batches)) {
    const c = Math.floor(rng.uniform() * 3);
    if (got[c].length < batches) got[c].push(tees[c].nextBatch(B));
  }
  for (const g of got) expect(g).toEqual(want);
  expect(up.draws).toBe(batches);
  // each consumer gets its own copy: writing into one does not change another's
  const [a, b] = [tees[0].nextBatch(B), tees[1].nextBatch(B)];
  a[0] = 1e9;
  expect(b[0]).not.toBe(1e9);
});

test('a consumer asking for another batch size at the same position is refused by name', () => {
  const tees = teeSource(
    new ArraySource(
      Float32Array.from({ length: 30 }, (_, i) => i),
      3,
    ),
    2,
  );
  tees[0].nextBatch(2);
  expect(() => tees[1].nextBatch(3)).toThrow(InputError);
  expect(() => tees[1].nextBatch(3)).toThrow(/^batchSize: consumer 1 asks for 3 rows where the others read 2/);
  expect(() => teeSource(tees[0], 0)).toThrow(/consumers/);
});

/** BlockSource: rows computed a block at a time, served in order, pairs kept aligned. */
import { ConfigError, InputError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';
import { BlockSource, type RowBlock } from '../../src/data/block-source';

const D = 3;

/** A block computer over seeded random rows of `rowsPerBlock`, recording every row it hands out. */
function blocks(rowsPerBlock: number, paired: boolean) {
  const rng = new Rng(11);
  const inputs: number[] = [];
  const targets: number[] = [];
  let calls = 0;
  const compute = async (): Promise<RowBlock> => {
    calls++;
    const x = Float32Array.from({ length: rowsPerBlock * D }, () => rng.normal());
    const y = Float32Array.from(x, (v) => 2 * v + 1); // target row i belongs to input row i
    inputs.push(...x);
    targets.push(...y);
    return paired ? { inputs: x, targets: y } : { inputs: x };
  };
  return { compute, inputs, targets, calls: () => calls };
}

test('serves every computed row once, in order, across block boundaries, computing only what fill asks for', async () => {
  const b = blocks(5, false);
  const source = new BlockSource(D, b.compute);
  await source.fill(3);
  expect(b.calls()).toBe(1);
  expect(source.rowsHeld).toBe(5);
  await source.fill(5); // already held: nothing computed
  expect(b.calls()).toBe(1);
  const served: number[] = [];
  for (const size of [3, 2]) served.push(...source.nextBatch(size));
  await source.fill(4); // 0 held: one block
  served.push(...source.nextBatch(4));
  await source.fill(7); // 1 held: two blocks
  expect(b.calls()).toBe(4);
  served.push(...source.nextBatch(7));
  expect(served).toEqual(b.inputs.slice(0, served.length));
  expect(served.length).toBe(16 * D);
  expect(source.rowsHeld).toBe(4);
});

test('pairs stay aligned, and nextBatch of a paired source skips the targets with their inputs', async () => {
  const b = blocks(4, true);
  const source = new BlockSource(D, b.compute);
  await source.fill(10);
  const first = source.nextPairs(3);
  const skipped = source.nextBatch(2);
  const next = source.nextPairs(5);
  expect(Array.from(first.inputs)).toEqual(b.inputs.slice(0, 3 * D));
  expect(Array.from(first.targets)).toEqual(b.targets.slice(0, 3 * D));
  expect(Array.from(skipped)).toEqual(b.inputs.slice(3 * D, 5 * D));
  expect(Array.from(next.inputs)).toEqual(b.inputs.slice(5 * D, 10 * D));
  expect(Array.from(next.targets)).toEqual(b.targets.slice(5 * D, 10 * D));
  // Fresh arrays: writing into a served batch changes nothing the source holds.
  next.inputs[0] = 1e9;
  await source.fill(2);
  expect(source.nextPairs(2).inputs[0]).not.toBe(1e9);
});

test('bad reads and bad blocks are refused by name', async () => {
  const source = new BlockSource(D, blocks(2, false).compute);
  expect(() => source.nextBatch(1)).toThrow(InputError);
  expect(() => source.nextBatch(1)).toThrow(/^batchSize: 1 rows asked, 0 held: await fill\(rows\) first/);
  await source.fill(2);
  expect(() => source.nextBatch(3)).toThrow(/3 rows asked, 2 held/);
  expect(() => source.nextPairs(1)).toThrow(ConfigError);
  expect(source.rowsHeld).toBe(2); // a refused read moves nothing
  await expect(source.fill(0)).rejects.toThrow(/^rows/);
  expect(() => new BlockSource(0, blocks(1, false).compute)).toThrow(/^dim/);

  const ragged = new BlockSource(D, async () => ({ inputs: new Float32Array(D + 1) }));
  await expect(ragged.fill(1)).rejects.toThrow(
    /^block\.inputs: length 4 is not a positive whole number of rows of dim 3/,
  );
  const mismatched = new BlockSource(D, async () => ({
    inputs: new Float32Array(2 * D),
    targets: new Float32Array(D),
  }));
  await expect(mismatched.fill(1)).rejects.toThrow(/^block\.targets: need one row per input row/);
  let paired = true;
  const switching = new BlockSource(D, async () => {
    const block = paired
      ? { inputs: new Float32Array(D), targets: new Float32Array(D) }
      : { inputs: new Float32Array(D) };
    paired = !paired;
    return block;
  });
  await switching.fill(1);
  await expect(switching.fill(2)).rejects.toThrow(/^block\.targets: missing \(earlier blocks had targets\)/);
});

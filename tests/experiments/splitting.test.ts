import { splitting } from '../../experiments/splitting';
import { expectFractions, numbersAt, runQuick } from './helpers';

test('splitting --quick: match + split + new = 1 per width step; the stitched dictionary is counted by width; F1 and MCC fractions', async () => {
  const { report } = await runQuick(splitting);
  const widths = numbersAt(report, 'widths');
  expect(widths).toEqual([widths[0], 2 * widths[0], 4 * widths[0], 8 * widths[0]]);
  for (const data of ['synthFractions', 'charFractions']) {
    const steps = report.numbers[data] as Array<Record<string, number>>;
    expect(steps).toHaveLength(widths.length - 1);
    steps.forEach((f, i) => {
      expectFractions([f.match, f.split, f.new]);
      expect(f.match + f.split + f.new).toBeCloseTo(1, 10);
      // A fraction of the wider SAE's latents is a multiple of 1 / width.
      for (const v of [f.match, f.split, f.new])
        expect(Math.abs(v * widths[i + 1] - Math.round(v * widths[i + 1]))).toBeLessThan(1e-9);
    });
  }
  const [size] = numbersAt(report, 'stitchedSize');
  const fromWidth = numbersAt(report, 'stitchedFromWidth');
  expect(fromWidth.reduce((a, b) => a + b)).toBe(size);
  fromWidth.forEach((c, l) => expect(c).toBeLessThanOrEqual(widths[l]));
  expectFractions([
    ...numbersAt(report, 'single').filter((_, i) => i % 4 < 2),
    ...numbersAt(report, 'stitched.f1'),
    ...numbersAt(report, 'stitched.mcc'),
  ]);
  expect(report.figures).toHaveLength(3);
}, 300_000);

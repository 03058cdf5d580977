import { PNG } from 'pngjs';
import { chartPngBuffer } from '../../src/charts/node';
import { type ChartSpec, checkChartSpec, histogramPoints, toChartJsConfig } from '../../src/charts';
import { paretoFront } from '../../src/analysis/frontier';
import { ConfigError } from '../../src/base/errors';
import { Rng } from '../../src/core/random';

const spec: ChartSpec = {
  title: 'loss',
  kind: 'line',
  x: { title: 'step' },
  y: { title: 'loss (nats)', log: true },
  series: [
    {
      name: 'live',
      points: [
        [0, 10],
        [1, 5],
        [2, 2.5],
      ],
    },
    {
      name: 'ghost',
      points: [
        [0, 12],
        [1, 6],
      ],
      ghost: true,
    },
  ],
};

test('a spec without axis titles, or with non-positive values on a log axis, is refused by name', () => {
  expect(() => checkChartSpec({ ...spec, x: { title: '' } })).toThrow(/chart\.x\.title/);
  const bad = { ...spec, series: [{ name: 's', points: [[0, 0]] as Array<[number, number]> }] };
  expect(() => checkChartSpec(bad)).toThrow(ConfigError);
  expect(() => checkChartSpec(bad)).toThrow(/chart\.y\.log.*series 's' has 0/);
});

test('ghost runs are drawn first and faded; every point is kept (no clipping of the range)', () => {
  const config = toChartJsConfig(spec);
  const [first, second] = config.data.datasets;
  expect(first.label).toBe('ghost');
  expect(second.label).toBe('live');
  expect(String(first.borderColor)).toMatch(/^#[0-9A-Fa-f]{8}$/);
  expect(second.data).toHaveLength(3);
  const scales = config.options?.scales as Record<string, { type: string; min?: number }>;
  expect(scales.y.type).toBe('logarithmic');
  expect(scales.y.min).toBeUndefined();
});

test('a series with legend: false is drawn but left out of the legend (ghosts reorder the datasets)', () => {
  const band: ChartSpec = {
    ...spec,
    series: [
      ...spec.series,
      { name: 'upper bound', points: spec.series[0].points, ghost: true, dashed: true, legend: false },
    ],
  };
  const config = toChartJsConfig(band);
  const labels = config.data.datasets.map((d) => d.label);
  expect(labels).toEqual(['ghost', 'upper bound', 'live']);
  const legendLabels = config.options?.plugins?.legend?.labels as {
    filter: (item: { datasetIndex?: number }) => boolean;
  };
  const filter = legendLabels.filter;
  expect(labels.map((_, i) => filter({ datasetIndex: i }))).toEqual([true, false, true]);
});

test('histogramPoints counts every value once, against a naive count per bin', () => {
  const rng = new Rng(4);
  const values = Array.from({ length: 1000 }, () => rng.normal());
  const pts = histogramPoints(values, 17);
  expect(pts.reduce((s, p) => s + p[1], 0)).toBe(1000);
  const lo = Math.min(...values);
  const width = (Math.max(...values) - lo) / 17;
  for (let b = 0; b < 17; b++) {
    const naive = values.filter((v) => Math.min(16, Math.floor((v - lo) / width)) === b).length;
    expect(pts[b][1]).toBe(naive);
    expect(pts[b][0]).toBeCloseTo(lo + (b + 0.5) * width, 10);
  }
});

test('paretoFront keeps exactly the points no other point beats on both axes (brute force)', () => {
  const rng = new Rng(9);
  const pts: Array<[number, number]> = Array.from({ length: 60 }, () => [rng.uniform() * 10, rng.uniform()]);
  const dominated = (p: [number, number]) =>
    pts.some((q) => q !== p && q[0] <= p[0] && q[1] <= p[1] && (q[0] < p[0] || q[1] < p[1]));
  const expected = pts.filter((p) => !dominated(p)).sort((a, b) => a[0] - b[0]);
  expect(paretoFront(pts)).toEqual(expected);
});

test('a chart renders to a PNG of the asked size', () => {
  const png = PNG.sync.read(chartPngBuffer(spec, { width: 300, height: 200, scale: 2 }));
  expect([png.width, png.height]).toEqual([600, 400]);
  // Not blank: some pixels differ from the white background.
  let ink = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 200) ink++;
  expect(ink).toBeGreaterThan(500);
});

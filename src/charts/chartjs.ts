/**
 * `ChartSpec` -> Chart.js configuration: the one place that decides how a figure looks,
 * shared by the page (`./browser`) and the PNG writer (`./node`).
 */
import type { ChartConfiguration, ChartDataset, ScaleOptions } from 'chart.js';
import { CHART_COLORS, type AxisSpec, type ChartSpec, checkChartSpec } from './spec';

/** `#rrggbb` with an alpha channel. */
function withAlpha(color: string, alpha: number): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) return color;
  const a = Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0');
  return `${color}${a}`;
}

function scale(axis: AxisSpec, isX: boolean, kind: ChartSpec['kind']): ScaleOptions {
  const categorical = Boolean(axis.categories);
  const base = {
    title: { display: true, text: axis.title, font: { size: 13 } },
    min: axis.min,
    max: axis.max,
    grid: { color: '#e5e7eb' },
  };
  if (categorical) {
    const categories = axis.categories ?? [];
    return {
      ...base,
      type: 'linear',
      min: axis.min ?? -0.5,
      max: axis.max ?? categories.length - 0.5,
      // One tick per category, at its integer position (the range is padded by half a bar).
      afterBuildTicks: (axis: { ticks: Array<{ value: number }> }) => {
        axis.ticks = categories.map((_, i) => ({ value: i }));
      },
      ticks: { autoSkip: true, callback: (v: number | string) => categories[Number(v)] ?? '' },
    } as ScaleOptions;
  }
  if (axis.log) return { ...base, type: 'logarithmic' } as ScaleOptions;
  // Bars of a histogram start from zero; lines and clouds use the data's own range.
  return { ...base, type: 'linear', beginAtZero: !isX && (kind === 'bar' || kind === 'histogram') } as ScaleOptions;
}

/** The Chart.js configuration of a spec (animation off: live charts update every few frames). */
export function toChartJsConfig(spec: ChartSpec): ChartConfiguration {
  checkChartSpec(spec);
  let colorAt = 0;
  // Ghosts first, so the live series draw on top of them.
  const ordered = [...spec.series.filter((s) => s.ghost), ...spec.series.filter((s) => !s.ghost)];
  const datasets = ordered.map((s) => {
    const kind = s.kind ?? (spec.kind === 'histogram' ? 'bar' : spec.kind);
    const color = s.color ?? CHART_COLORS[colorAt++ % CHART_COLORS.length];
    const stroke = s.ghost ? withAlpha(color, 0.35) : color;
    const data = s.points.map(([x, y]) => ({ x, y: Number.isFinite(y) ? y : null }));
    const common = { label: s.name, data, borderColor: stroke, backgroundColor: withAlpha(color, s.ghost ? 0.2 : 0.6) };
    if (kind === 'bar') {
      return {
        ...common,
        type: 'bar',
        barPercentage: spec.kind === 'histogram' ? 1 : 0.8,
        categoryPercentage: spec.kind === 'histogram' ? 1 : 0.9,
        grouped: spec.kind !== 'histogram',
        borderWidth: 0,
      } as ChartDataset;
    }
    if (kind === 'scatter') {
      return {
        ...common,
        type: 'scatter',
        pointRadius: s.pointRadius ?? 3,
        pointHoverRadius: (s.pointRadius ?? 3) + 2,
        showLine: false,
      } as ChartDataset;
    }
    return {
      ...common,
      type: 'line',
      borderWidth: s.ghost ? 1.5 : 2,
      borderDash: s.dashed ? [6, 4] : undefined,
      // A single point is drawn as a dot; longer series as a plain curve.
      pointRadius: s.points.length <= 1 ? 3 : s.points.length <= 30 ? 2 : 0,
      spanGaps: false,
      tension: 0,
    } as ChartDataset;
  });
  const labelsOf = new Map(ordered.map((s, i) => [i, s.labels]));
  const unlisted = new Set(ordered.flatMap((s, i) => (s.legend === false ? [i] : [])));
  return {
    type: spec.kind === 'histogram' ? 'bar' : spec.kind === 'scatter' ? 'scatter' : spec.kind,
    data: { datasets },
    options: {
      responsive: false,
      animation: false,
      parsing: false,
      // 'normalized' promises x-sorted data: true of curves over steps, not of point clouds.
      normalized: spec.kind === 'line',
      maintainAspectRatio: false,
      layout: { padding: { right: 12, top: 4 } },
      scales: { x: scale(spec.x, true, spec.kind), y: scale(spec.y, false, spec.kind) },
      plugins: {
        title: { display: true, text: spec.title, font: { size: 15, weight: 'bold' } },
        subtitle: { display: Boolean(spec.subtitle), text: spec.subtitle ?? '', padding: { bottom: 6 } },
        // Above the plot area: a legend never covers data.
        legend: {
          display: spec.series.length > 1,
          position: 'top',
          labels: { boxWidth: 14, boxHeight: 8, filter: (item) => !unlisted.has(item.datasetIndex ?? -1) },
        },
        tooltip: {
          callbacks: {
            afterLabel: (item) => labelsOf.get(item.datasetIndex)?.[item.dataIndex] ?? '',
          },
        },
      },
    },
  } as ChartConfiguration;
}

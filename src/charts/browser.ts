/**
 * Charts in a lesson page: the same Chart.js configuration as the PNG writer (`./node`), drawn
 * on a canvas that follows its container's width. `update` swaps the data in place, so a live
 * chart redraws without re-creating the chart.
 */
import { Chart, registerables } from 'chart.js';
import { toChartJsConfig } from './chartjs';
import type { ChartSpec } from './spec';

let registered = false;

/** A chart mounted on a canvas. */
export interface LiveChart {
  /** Redraws with a new spec (same kind of chart: data, series and axes may change). */
  update(spec: ChartSpec): void;
  /** Frees the chart (the canvas stays). */
  destroy(): void;
}

/** Everything about a spec but its points: when it is unchanged, an update only swaps the data. */
function specShape(spec: ChartSpec): string {
  return JSON.stringify({ ...spec, series: spec.series.map((s) => ({ ...s, points: s.points.length > 0 })) });
}

/** Draws `spec` on `canvas` (whose parent sets the size) and returns a handle to update it. */
export function mountChart(canvas: HTMLCanvasElement, spec: ChartSpec): LiveChart {
  if (!registered) {
    Chart.register(...registerables);
    registered = true;
  }
  const config = toChartJsConfig(spec);
  config.options = { ...config.options, responsive: true, maintainAspectRatio: false };
  const chart = new Chart(canvas, config);
  let shape = specShape(spec);
  return {
    update(next: ChartSpec) {
      const fresh = toChartJsConfig(next);
      const nextShape = specShape(next);
      if (nextShape === shape) {
        // Same series and axes: swap the points only (re-resolving the options costs more than drawing).
        fresh.data.datasets.forEach((d, i) => {
          chart.data.datasets[i].data = d.data;
        });
      } else {
        chart.data = fresh.data;
        chart.options = { ...fresh.options, responsive: true, maintainAspectRatio: false };
        shape = nextShape;
      }
      chart.update('none');
    },
    destroy() {
      chart.destroy();
    },
  };
}

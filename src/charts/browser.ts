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

/** Draws `spec` on `canvas` (whose parent sets the size) and returns a handle to update it. */
export function mountChart(canvas: HTMLCanvasElement, spec: ChartSpec): LiveChart {
  if (!registered) {
    Chart.register(...registerables);
    registered = true;
  }
  const config = toChartJsConfig(spec);
  config.options = { ...config.options, responsive: true, maintainAspectRatio: false };
  const chart = new Chart(canvas, config);
  return {
    update(next: ChartSpec) {
      const fresh = toChartJsConfig(next);
      chart.data = fresh.data;
      chart.options = { ...fresh.options, responsive: true, maintainAspectRatio: false };
      chart.update('none');
    },
    destroy() {
      chart.destroy();
    },
  };
}

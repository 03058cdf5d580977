/**
 * The feature-density histogram (Bricken et al. 2023: log10 of the fraction of inputs each latent
 * fires on) as a PNG, drawn by chart.js on an @napi-rs/canvas: the package's one chart stack, the
 * same chart.js definition a page would draw. Dead latents (density 0) have no log and are counted
 * in the title instead.
 */
import * as fs from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, registerables } from 'chart.js';

Chart.register(...registerables);

/** What the chart shows: `densityHistogram` of `evaluateSae`, plus the dead count. */
export interface DensityChartData {
  log10Edges: number[];
  counts: number[];
  dead: number;
  latents: number;
}

/** The chart.js definition (browser-safe: no canvas involved). */
export function densityChartConfig(data: DensityChartData): ChartConfiguration<'bar'> {
  const labels = data.counts.map((_, i) => `${data.log10Edges[i]}`);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'latents', data: data.counts, backgroundColor: '#4c78a8', barPercentage: 1, categoryPercentage: 1 },
      ],
    },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      plugins: {
        legend: { display: false },
        title: {
          display: true,
          text: `Latent density: ${data.latents} latents, ${data.dead} never fired (dead)`,
        },
      },
      scales: {
        x: { title: { display: true, text: 'log10(fraction of inputs the latent fires on), bin start' } },
        y: { title: { display: true, text: 'latents' }, beginAtZero: true },
      },
    },
  };
}

/** Draws the chart to `file` (PNG, width x height pixels); returns the file. */
export function writeDensityChart(file: string, data: DensityChartData, width = 720, height = 420): string {
  const canvas = createCanvas(width, height);
  // chart.js types its context as the DOM's; @napi-rs/canvas implements the same 2-D API.
  const ctx = canvas.getContext('2d') as unknown as CanvasRenderingContext2D;
  const config = densityChartConfig(data);
  // chart.js clears to transparent; paint white under the chart so the PNG reads in any viewer.
  config.plugins = [
    {
      id: 'white-background',
      beforeDraw: (chart) => {
        chart.ctx.save();
        chart.ctx.fillStyle = '#ffffff';
        chart.ctx.fillRect(0, 0, chart.width, chart.height);
        chart.ctx.restore();
      },
    },
  ];
  const chart = new Chart(ctx, config);
  try {
    fs.writeFileSync(file, canvas.toBuffer('image/png'));
  } finally {
    chart.destroy();
  }
  return file;
}

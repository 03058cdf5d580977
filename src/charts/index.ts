/** The one chart stack (browser-safe part): figure specs and their Chart.js configuration. PNG output: `./node`. */
export * from './spec';
export { toChartJsConfig } from './chartjs';
export * from './images';

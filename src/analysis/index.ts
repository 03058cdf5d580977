/**
 * Analyses (browser-safe part). Figures are `ChartSpec`s from src/charts, written to PNG by
 * src/charts/node.
 */
export {};

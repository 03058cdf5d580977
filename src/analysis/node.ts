/** Node-only parts of analysis. */
/** PNG plots for lesson scripts: image grids, line charts, histograms, scatter and bar charts. */
export * from './png';

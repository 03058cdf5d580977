/**
 * Analyses (browser-safe part). The PNG plotting helpers for lesson scripts (`png.ts`:
 * image grids, line charts, histograms, scatter and bar charts) write files, so they are
 * exported from `./node` only.
 */
export {};

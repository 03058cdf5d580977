/** Node-only parts of analysis (none yet: every chart is a ChartSpec written by src/charts/node). */
export {};

/** A reports folder with one small report and its figure, and an app serving it (for the page tests). */
import express from 'express';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { writeChartPng } from '../../src/charts/node';
import { experimentsRouter } from '../../src/server/experiments';
import { VIEWS_DIR } from '../../src/server/paths';
import { type StudyReport, writeReport } from '../../experiments/report';
import { tempDir } from '../setup/temp-dir';

export function makeReportsDir(): string {
  const dir = tempDir('exp-pages-');
  const out = path.join(dir, 'toy-run');
  writeChartPng(path.join(out, 'curve.png'), {
    title: 'A curve',
    kind: 'line',
    x: { title: 'step' },
    y: { title: 'loss' },
    series: [
      {
        name: 'loss',
        points: [
          [0, 2],
          [1, 1],
          [2, 0.5],
        ],
      },
    ],
  });
  const report: StudyReport = {
    name: 'toy-run',
    title: 'A toy run',
    question: 'Does the loss fall?',
    command: 'npm run experiment -- toy-run --seed 0',
    seed: 0,
    quick: false,
    wallSeconds: 12.5,
    backend: 'wasm',
    finishedAt: '2026-11-30T20:00:00.000Z',
    summary: 'It falls.\n\n| step | loss |\n|---|---|\n| 0 | 2 |\n| 2 | 0.5 |\n',
    numbers: { loss: [2, 1, 0.5] },
    figures: [{ file: 'curve.png', title: 'A curve', caption: 'Loss against step.' }],
  };
  writeReport(out, report);
  // A quick run and a stray file: neither is listed or served.
  writeReport(path.join(dir, 'toy-run-quick'), { ...report, name: 'toy-run', quick: true });
  fs.writeFileSync(path.join(out, 'secret.png'), 'not a figure of the report');
  return dir;
}

/** The router alone on 127.0.0.1:<free port>, rendering with the site's views. */
export async function serveReports(dir: string): Promise<{ base: string; close(): Promise<void> }> {
  const app = express();
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  app.use('/experiments', experimentsRouter(dir));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

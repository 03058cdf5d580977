/**
 * The /experiments pages: the committed reports of the research experiments
 * (experiments/reports/<name>/report.json, its summary.md and PNG figures; written by
 * `npm run experiment -- <name>`).
 *
 *   GET /experiments                 the reproduction table (rows from every report's `reproduction`),
 *                                    then every report: title, question, wall time, command
 *   GET /experiments/<name>          one report: question, command, wall time, summary, figures
 *   GET /experiments/<name>/<f>.png  a figure listed in that report (nothing else is served)
 *
 * Reports are read on each request, so a new run shows without a restart.
 */
import express from 'express';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Marked } from 'marked';
import type { StudyReport } from '../analysis/report';
import { REPRODUCTION_HEADERS, reproductionCells } from '../analysis/reproduction';
import { ROOT, isInside } from './paths';

/** Where the committed reports live. */
export const REPORTS_DIR = path.join(ROOT, 'experiments', 'reports');

/** An experiment or figure name: lowercase words joined by dashes (figures end in .png). */
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const FIGURE = /^[a-z0-9]+(?:-[a-z0-9]+)*\.png$/;

/** One row of the reproduction table as the page shows it: its cells, or why it cannot be shown. */
export type ShownReproductionRow = { experiment: string; cells: string[] } | { experiment: string; error: string };

/** The reproduction rows of `reports`, each rendered to cells (a malformed row shows its error, not a verdict). */
export function reproductionRowsOf(reports: StudyReport[]): ShownReproductionRow[] {
  return reports.flatMap((r) =>
    (r.reproduction ?? []).map((row) => {
      try {
        return { experiment: r.name, cells: reproductionCells(row) };
      } catch (e) {
        return { experiment: r.name, error: (e as Error).message };
      }
    }),
  );
}

/** The report in `dir/<name>/report.json`, or null when absent or unreadable. */
export function readStudyReport(dir: string, name: string): StudyReport | null {
  if (!NAME.test(name)) return null;
  const file = path.join(dir, name, 'report.json');
  if (!isInside(dir, file) || !fs.existsSync(file)) return null;
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as StudyReport;
    return typeof r.title === 'string' && typeof r.summary === 'string' && Array.isArray(r.figures) ? r : null;
  } catch {
    return null;
  }
}

/** Every full-run report in `dir`, by name (quick runs, `<name>-quick`, are left out). */
export function listReports(dir: string): StudyReport[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => NAME.test(n) && !n.endsWith('-quick'))
    .sort()
    .map((n) => readStudyReport(dir, n))
    .filter((r): r is StudyReport => r !== null);
}

const markdown = new Marked({ gfm: true });

/** The router serving the pages above from `reportsDir`. */
export function experimentsRouter(reportsDir = REPORTS_DIR): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    const reports = listReports(reportsDir);
    res.render('experiments', {
      title: 'Experiments | gensparse',
      reports,
      reproduction: { headers: REPRODUCTION_HEADERS, rows: reproductionRowsOf(reports) },
    });
  });
  router.get('/:name', (req, res, next) => {
    const report = readStudyReport(reportsDir, String(req.params.name));
    if (!report) return next();
    const summaryHtml = markdown.parse(report.summary, { async: false }) as string;
    res.render('experiment', { title: `${report.title} | gensparse`, report, summaryHtml });
  });
  router.get('/:name/:file', (req, res, next) => {
    const name = String(req.params.name);
    const file = String(req.params.file);
    const report = readStudyReport(reportsDir, name);
    if (!report || !FIGURE.test(file) || !report.figures.some((f) => f.file === file)) return next();
    const full = path.join(reportsDir, name, file);
    if (!isInside(reportsDir, full) || !fs.existsSync(full)) return next();
    res.type('png').send(fs.readFileSync(full));
  });
  return router;
}

/**
 * Browser pieces the SAE lessons (4-6) share: a chart view on the panel (one `ChartSpec`, drawn by
 * the chart library, the same figure the script writes to PNG) and the frontier store that carries
 * the learner's runs from lesson to lesson (localStorage, so lesson 5 shows lesson 4's points).
 */
import { type LiveChart, mountChart } from '../../src/charts/browser';
import type { ChartSpec } from '../../src/charts/spec';
import type { FrontierPoint } from './experiment';

/** The part of the panel context a chart view needs. */
interface BoxHost {
  boxView(title: string, caption?: string): HTMLElement;
}

/** A live chart in its own panel view; `data-points` on the canvas counts the points drawn (tests read it). */
export function chartView(ctx: BoxHost, title: string, caption?: string, height = 240): (spec: ChartSpec) => void {
  const box = ctx.boxView(title, caption);
  const holder = document.createElement('div');
  holder.className = 'chart-holder';
  holder.style.position = 'relative';
  holder.style.height = `${height}px`;
  const canvas = document.createElement('canvas');
  canvas.dataset.chart = title;
  canvas.dataset.points = '0';
  holder.append(canvas);
  box.append(holder);
  let chart: LiveChart | null = null;
  return (spec) => {
    canvas.dataset.points = String(spec.series.reduce((n, s) => n + s.points.length, 0));
    if (chart) chart.update(spec);
    else chart = mountChart(canvas, spec);
  };
}

const STORE_KEY = 'gensparse.sae-frontier.v1';
const MAX_POINTS = 200;

/** The learner's finished runs, all lessons together (newest last). */
export function loadFrontier(): FrontierPoint[] {
  try {
    const raw = JSON.parse(localStorage.getItem(STORE_KEY) ?? '[]') as FrontierPoint[];
    return Array.isArray(raw)
      ? raw.filter((p) => Number.isFinite(p.l0) && p.fvu > 0 && typeof p.architecture === 'string')
      : [];
  } catch {
    return []; // storage off or unreadable: start a fresh frontier
  }
}

/** Adds a finished run to the store (the oldest drop out past MAX_POINTS). */
export function saveFrontierPoint(p: FrontierPoint): FrontierPoint[] {
  const all = [...loadFrontier(), p].slice(-MAX_POINTS);
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(all));
  } catch {
    // storage off: the point still shows for this page
  }
  return all;
}

/** Forgets the stored runs of one architecture (the "clear" button). */
export function clearFrontier(architecture: string): FrontierPoint[] {
  const kept = loadFrontier().filter((p) => p.architecture !== architecture);
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(kept));
  } catch {
    // storage off
  }
  return kept;
}

/** A button in a view. */
export function button(parent: HTMLElement, id: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.id = id;
  b.className = 'secondary';
  b.textContent = text;
  b.addEventListener('click', onClick);
  parent.append(b);
  return b;
}

/** A paragraph in a view. */
export function line(parent: HTMLElement, text = '', id?: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.className = 'caption';
  if (id) p.id = id;
  p.textContent = text;
  parent.append(p);
  return p;
}

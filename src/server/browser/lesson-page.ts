/**
 * A lesson page's runtime: load the lesson's experiment (public/build/js/panels/<id>.js) for its
 * settings and figures, start the training worker (which picks the backend: `?backend=` forces
 * one), mount the panel (and the lesson's own widgets, when its panel.ts exports `mountWidgets`),
 * and say which backend and why.
 */
import { BROWSER_BACKENDS, describeBackend } from '../../core/backend';
import type { Experiment } from '../../lesson/experiment';
import type { SettingSpecs } from '../../lesson/settings';
import { type MountWidgets, mountPanel } from './panel-kit';
import { WorkerRun } from './worker-run';

async function main(): Promise<void> {
  const root = document.getElementById('panel-root');
  const badge = document.getElementById('backend');
  const panelUrl = document.body.dataset.panel;
  if (!root || !badge || !panelUrl) return;
  // An unknown ?backend= (a typo) is reported and the automatic choice used, like a bad setting.
  const asked = new URLSearchParams(location.search).get('backend') ?? '';
  const known = (BROWSER_BACKENDS as readonly string[]).includes(asked);
  const forced = known ? asked : '';
  const problems =
    asked && !known ? [`backend=${asked} is not one of ${BROWSER_BACKENDS.join(', ')}; choosing one`] : [];
  try {
    // Training runs in a worker (the backend is chosen there); the page only draws.
    const run = new WorkerRun('/assets/build/js/train-worker.js');
    // The badge as soon as the worker has chosen (before the first model is built).
    run.onBackend = () => {
      const report = run.backend;
      if (!report) return;
      badge.textContent = `backend: ${report.name}${report.details.length ? ` (${report.details.join(', ')})` : ''}`;
      badge.title =
        describeBackend(report) +
        (self.crossOriginIsolated ? '\ncross-origin isolated' : '\nnot cross-origin isolated');
      badge.dataset.backend = report.name;
      const why = document.createElement('span');
      why.className = 'backend-why';
      why.id = 'backend-why';
      why.textContent = `training in a Web Worker; ${run.backendReason}`;
      badge.after(why);
    };
    const mod = (await import(panelUrl)) as { default: Experiment<SettingSpecs>; mountWidgets?: MountWidgets };
    await mountPanel(root, mod.default, run, panelUrl, forced, problems);
    // A lesson's own widgets (panel.ts may export them), below the figures.
    mod.mountWidgets?.(root, run);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    root.dataset.state = 'error';
    root.textContent = '';
    const p = document.createElement('p');
    p.className = 'error-box';
    p.textContent = `The live panel could not start: ${msg}`;
    root.append(p);
    badge.textContent = 'backend: failed';
    // Nothing left for the narration's "Try it" buttons to drive.
    for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button.try-it'))) b.disabled = true;
  }
}

void main();

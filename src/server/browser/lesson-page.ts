/**
 * A lesson page's runtime: pick the backend (`?backend=` forces one), say which and why, then
 * load the lesson's experiment (public/build/js/panels/<id>.js) and mount its panel.
 */
import { backendReason, initBrowserBackend } from '../../core/backend-browser';
import { describeBackend } from '../../core/backend';
import type { Experiment } from '../../lesson/experiment';
import type { SettingSpecs } from '../../lesson/settings';
import { mountPanel } from './panel-kit';

async function main(): Promise<void> {
  const root = document.getElementById('panel-root');
  const badge = document.getElementById('backend');
  const panelUrl = document.body.dataset.panel;
  if (!root || !badge || !panelUrl) return;
  const forced = new URLSearchParams(location.search).get('backend') ?? '';
  try {
    const report = await initBrowserBackend({ backend: forced });
    badge.textContent = `backend: ${report.name}${report.details.length ? ` (${report.details.join(', ')})` : ''}`;
    const why = document.createElement('span');
    why.className = 'backend-why';
    why.id = 'backend-why';
    why.textContent = backendReason(report, forced);
    badge.after(why);
    badge.title =
      describeBackend(report) + (self.crossOriginIsolated ? '\ncross-origin isolated' : '\nnot cross-origin isolated');
    badge.dataset.backend = report.name;
    const mod = (await import(panelUrl)) as { default: Experiment<SettingSpecs> };
    await mountPanel(root, mod.default, report, forced);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    root.dataset.state = 'error';
    root.textContent = '';
    const p = document.createElement('p');
    p.className = 'error-box';
    p.textContent = `The live panel could not start: ${msg}`;
    root.append(p);
    badge.textContent = 'backend: failed';
  }
}

void main();

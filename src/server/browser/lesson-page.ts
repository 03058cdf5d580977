/**
 * A lesson page's runtime: pick the backend (`?backend=` forces one), say which, then load
 * the lesson's panel module (public/build/js/panels/<id>.js) and mount it.
 */
import { initBrowserBackend } from '../../core/backend-browser';
import { describeBackend } from '../../core/backend';
import { type PanelDefinition, type SettingSpecs, mountPanel } from './panel-kit';

async function main(): Promise<void> {
  const root = document.getElementById('panel-root');
  const badge = document.getElementById('backend');
  const panelUrl = document.body.dataset.panel;
  if (!root || !badge || !panelUrl) return;
  const forced = new URLSearchParams(location.search).get('backend') ?? '';
  try {
    const report = await initBrowserBackend({ backend: forced });
    badge.textContent = `backend: ${report.name}${report.details.length ? ` (${report.details.join(', ')})` : ''}`;
    badge.title =
      describeBackend(report) + (self.crossOriginIsolated ? '\ncross-origin isolated' : '\nnot cross-origin isolated');
    badge.dataset.backend = report.name;
    const mod = (await import(panelUrl)) as { default: PanelDefinition<SettingSpecs> };
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

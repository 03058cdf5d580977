/**
 * Lesson 9's widgets, below the panel's figures: what interpretability researchers do with a
 * trained SAE, on the live one. Each asks the run in the training worker (`host.query`, answered
 * by experiment.ts between training steps) and draws plain DOM; nothing heavy runs on the page.
 *
 * - search: type text, see the latents that fire on each character (click a character);
 * - dashboard: one latent's top-activating held-out contexts, activation histogram, density and
 *   the characters its decoder direction promotes and suppresses through the unembedding;
 * - steering: text sampled with and without the latent's decoder direction added, same seed.
 * Picking a latent anywhere (a search chip, the number box) shows its dashboard and steers it.
 */
import type { FeatureDashboard } from '../../src/sae/eval/dashboards';
import { el } from '../../src/server/browser/dom';
import type { MountWidgets, WidgetHost } from '../../src/server/browser/panel-kit';
import { LM, type SearchResult, type SteerResult } from './experiment';

/** A character as shown in highlighted text (a newline visible, a space kept as a space). */
function shown(ch: string): string {
  return ch === '\n' ? '⏎' : ch === ' ' ? '\u00a0' : ch;
}

/** A character named on its own (a chip, a label): a space shown as '␣'. */
function named(ch: string): string {
  return ch === ' ' ? '␣' : shown(ch);
}

/** Highlighted text: each character's background is `acts[i] / max` of the accent colour. */
function highlighted(text: string, acts: number[], max: number, mark = -1): HTMLElement {
  const line = el('span', { class: 'lm-text' });
  Array.from(text).forEach((ch, i) => {
    const s = el('span', {}, shown(ch));
    const a = max > 0 ? Math.min(1, (acts[i] ?? 0) / max) : 0;
    if (a > 0) s.style.backgroundColor = `rgba(213, 94, 0, ${(0.12 + 0.78 * a).toFixed(3)})`;
    if (i === mark) s.className = 'mark';
    if (acts[i] > 0) s.title = `activation ${acts[i].toFixed(2)}`;
    line.append(s);
  });
  return line;
}

/** "1.23%" or "4.5e-5" for a density. */
function percent(d: number): string {
  return d >= 1e-3 ? `${(100 * d).toFixed(2)}%` : d.toExponential(1);
}

export const mountWidgets: MountWidgets = (root: HTMLElement, host: WidgetHost) => {
  const box = el('div', { class: 'lm-widgets', id: 'lm-widgets' });
  box.append(el('h3', { class: 'panel-title' }, 'Reading the SAE'));
  box.append(
    el(
      'p',
      { class: 'muted lm-hint' },
      'These ask the SAE as it is now: train a little first (Start), then search, pick a latent, steer.',
    ),
  );
  let latent = 0;
  let lastSearch: SearchResult | null = null;
  let selectedChar = -1;

  // ---- search ----
  const search = el('section', { class: 'lm-widget', id: 'lm-search' });
  search.append(el('h4', {}, 'Which latents fire on each character'));
  const searchForm = el('form', { class: 'lm-row' });
  const searchInput = el('input', {
    type: 'text',
    id: 'lm-search-text',
    value: 'the whale swam under the ship, and the captain said',
    maxlength: '64',
    'aria-label': 'text to search (up to 64 characters)',
  });
  const searchButton = el('button', { type: 'submit', id: 'lm-search-go' }, 'Search');
  searchForm.append(searchInput, searchButton);
  const searchText = el('div', { class: 'lm-search-text', id: 'lm-search-result' });
  const charLatents = el('div', { class: 'lm-chips', id: 'lm-char-latents' });
  const searchNote = el('p', { class: 'muted lm-note' });
  search.append(searchForm, searchText, charLatents, searchNote);

  // ---- dashboard ----
  const dash = el('section', { class: 'lm-widget', id: 'lm-dashboard' });
  dash.append(el('h4', {}, 'Feature dashboard'));
  const dashForm = el('form', { class: 'lm-row' });
  const latentInput = el('input', {
    type: 'number',
    id: 'lm-latent',
    min: '0',
    step: '1',
    value: '0',
    'aria-label': 'latent number',
  });
  const dashButton = el('button', { type: 'submit', id: 'lm-dashboard-go' }, 'Show latent');
  dashForm.append(el('label', { for: 'lm-latent' }, 'latent #'), latentInput, dashButton);
  const dashBody = el('div', { class: 'lm-dashboard-body', id: 'lm-dashboard-body' });
  dash.append(dashForm, dashBody);

  // ---- steering ----
  const steer = el('section', { class: 'lm-widget', id: 'lm-steer' });
  steer.append(el('h4', {}, 'Steering: add the latent’s decoder direction'));
  const steerForm = el('form', { class: 'lm-steer-form' });
  const promptInput = el('input', { type: 'text', id: 'lm-prompt', value: 'the ship ', maxlength: '64' });
  const strengthInput = el('input', {
    type: 'range',
    id: 'lm-strength',
    min: '-8',
    max: '8',
    step: '0.5',
    value: '1',
  });
  const strengthShown = el('output', { for: 'lm-strength' }, '1');
  const seedInput = el('input', { type: 'number', id: 'lm-steer-seed', min: '0', step: '1', value: '1' });
  const steerButton = el('button', { type: 'submit', id: 'lm-steer-go' }, 'Generate');
  const steerLatent = el('p', { class: 'muted lm-note' }, 'Steers the latent picked above: #0.');
  const promptLabel = el('label', { for: 'lm-prompt' }, 'prompt');
  promptLabel.append(promptInput);
  const strengthLabel = el('label', { for: 'lm-strength' }, 'strength (× the latent’s top activation)');
  const strengthRow = el('span', { class: 'slider-row' });
  strengthRow.append(strengthInput, strengthShown);
  strengthLabel.append(strengthRow);
  const seedLabel = el('label', { for: 'lm-steer-seed' }, 'sampler seed');
  seedLabel.append(seedInput);
  steerForm.append(promptLabel, strengthLabel, seedLabel, steerButton);
  const steerOut = el('div', { class: 'lm-steer-out', id: 'lm-steer-out' });
  steer.append(steerLatent, steerForm, steerOut);

  box.append(search, dash, steer);
  root.append(box);

  const fail = (where: HTMLElement, e: unknown) => {
    where.replaceChildren(el('p', { class: 'error-box' }, e instanceof Error ? e.message : String(e)));
  };

  function drawSearch(): void {
    const r = lastSearch;
    if (!r) return;
    // Highlight by the picked latent when it fires here, else by each character's top activation.
    const byLatent = r.latents.map((list) => list.find((x) => x.latent === latent)?.value ?? 0);
    const usePicked = byLatent.some((v) => v > 0);
    const acts = usePicked ? byLatent : r.latents.map((list) => list[0]?.value ?? 0);
    const max = Math.max(0, ...acts);
    const text = highlighted(r.text, acts, max, selectedChar);
    Array.from(text.children).forEach((s, i) => {
      // Each character is a control: click it, or focus it and press Enter or Space.
      s.setAttribute('role', 'button');
      s.setAttribute('tabindex', '0');
      const choose = () => {
        selectedChar = i;
        drawSearch();
        (searchText.querySelectorAll('.lm-text span')[i] as HTMLElement | undefined)?.focus();
      };
      s.addEventListener('click', choose);
      s.addEventListener('keydown', (e) => {
        if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') {
          e.preventDefault();
          choose();
        }
      });
    });
    searchText.replaceChildren(text);
    searchNote.textContent = usePicked
      ? `Shading: latent #${latent} on each character. Click a character for its latents.`
      : `Shading: each character's largest activation (SAE at step ${r.step}). Click a character for its latents.`;
    const i = selectedChar >= 0 && selectedChar < r.chars.length ? selectedChar : r.chars.length - 1;
    const list = r.latents[i].slice(0, LM.searchTop);
    charLatents.replaceChildren(el('span', { class: 'muted' }, `“${named(r.chars[i])}” (character ${i + 1}):`));
    if (list.length === 0) charLatents.append(el('span', { class: 'muted' }, ' no latent fires'));
    for (const { latent: j, value } of list) {
      const chip = el(
        'button',
        { type: 'button', class: 'lm-chip', 'data-latent': String(j) },
        `#${j} ${value.toFixed(2)}`,
      );
      chip.addEventListener('click', () => void pick(j));
      charLatents.append(chip);
    }
  }

  async function runSearch(): Promise<void> {
    searchButton.disabled = true;
    try {
      lastSearch = (await host.query('search', { text: searchInput.value })) as SearchResult;
      selectedChar = -1;
      drawSearch();
    } catch (e) {
      fail(searchText, e);
    } finally {
      searchButton.disabled = false;
    }
  }

  function drawDashboard(d: FeatureDashboard, step: number): void {
    const head = el(
      'p',
      { class: 'lm-dash-head' },
      `Latent #${d.latent}: fires on ${percent(d.density)} of ${LM.spliceChars} held-out characters` +
        (d.fired > 0 ? `, largest activation ${d.maxActivation.toFixed(2)}, mean ${d.meanActivation.toFixed(2)}` : '') +
        ` (SAE at step ${step}).`,
    );
    const parts: HTMLElement[] = [head];
    if (d.top.length === 0) {
      parts.push(
        el('p', { class: 'muted' }, 'It fired on none of the held-out characters (a dead latent, or not yet trained).'),
      );
    } else {
      parts.push(el('h5', {}, 'Top-activating contexts (the activating character is underlined)'));
      const list = el('ol', { class: 'lm-contexts', id: 'lm-contexts' });
      for (const ex of d.top) {
        const li = el('li');
        li.append(highlighted(ex.text, ex.activations, d.maxActivation, ex.index));
        li.append(el('span', { class: 'lm-act' }, ex.activation.toFixed(2)));
        list.append(li);
      }
      parts.push(list);
      parts.push(el('h5', {}, 'Activation histogram (log10 activation, where it fires)'));
      const hist = el('div', { class: 'lm-hist', id: 'lm-hist' });
      const maxCount = Math.max(1, ...d.histogram.counts);
      d.histogram.counts.forEach((c, b) => {
        const bar = el('span');
        bar.style.height = `${(100 * c) / maxCount}%`;
        bar.title = `${d.histogram.log10Edges[b].toFixed(2)} to ${d.histogram.log10Edges[b + 1].toFixed(2)}: ${c}`;
        hist.append(bar);
      });
      const axis = el('div', { class: 'lm-hist-axis' });
      const edges = d.histogram.log10Edges;
      axis.append(el('span', {}, String(10 ** edges[0])), el('span', {}, String(10 ** edges[edges.length - 1])));
      parts.push(hist, axis);
    }
    parts.push(el('h5', {}, 'Next characters its decoder direction promotes / suppresses (direct path)'));
    const effects = el('div', { class: 'lm-effects' });
    for (const [name, items] of [
      ['promotes', d.logitEffect.promoted],
      ['suppresses', d.logitEffect.suppressed],
    ] as const) {
      const row = el('div', { class: `lm-chips ${name}` });
      row.append(el('span', { class: 'muted' }, `${name}:`));
      for (const { char, value } of items) {
        row.append(
          el(
            'span',
            { class: 'lm-char', title: value.toFixed(3) },
            `${named(char)} ${value >= 0 ? '+' : ''}${value.toFixed(2)}`,
          ),
        );
      }
      effects.append(row);
    }
    parts.push(effects);
    dashBody.replaceChildren(...parts);
  }

  async function showDashboard(): Promise<void> {
    dashButton.disabled = true;
    try {
      const r = (await host.query('dashboard', { latent })) as {
        dashboard: FeatureDashboard;
        step: number;
        nLatents: number;
      };
      latentInput.max = String(r.nLatents - 1);
      drawDashboard(r.dashboard, r.step);
    } catch (e) {
      fail(dashBody, e);
    } finally {
      dashButton.disabled = false;
    }
  }

  async function runSteer(): Promise<void> {
    steerButton.disabled = true;
    steerOut.replaceChildren(el('p', { class: 'muted' }, `sampling ${LM.steerChars} characters twice…`));
    try {
      const r = (await host.query('steer', {
        latent,
        strength: Number(strengthInput.value),
        prompt: promptInput.value,
        seed: Number(seedInput.value),
      })) as SteerResult;
      const block = (label: string, text: string, id: string) => {
        const d = el('div', { class: 'lm-sample' });
        d.append(el('span', { class: 'lm-sample-label' }, label));
        const p = el('p', { id });
        p.append(el('span', { class: 'muted' }, r.prompt), document.createTextNode(text));
        d.append(p);
        return d;
      };
      steerOut.replaceChildren(
        block('without steering', r.plain, 'lm-plain'),
        block(`with latent #${r.latent}, α = ${r.alpha.toFixed(2)}`, r.steered, 'lm-steered'),
      );
    } catch (e) {
      fail(steerOut, e);
    } finally {
      steerButton.disabled = false;
    }
  }

  /** Picks a latent: its dashboard, and the search text shaded by it. */
  async function pick(j: number): Promise<void> {
    latent = j;
    latentInput.value = String(j);
    steerLatent.textContent = `Steers the latent picked above: #${j}.`;
    drawSearch();
    await showDashboard();
  }

  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void runSearch();
  });
  dashForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const j = Number(latentInput.value);
    if (Number.isInteger(j) && j >= 0) void pick(j);
    else fail(dashBody, new Error(`latent: must be a whole number ≥ 0, got ${latentInput.value}`));
  });
  strengthInput.addEventListener('input', () => {
    strengthShown.textContent = strengthInput.value;
  });
  steerForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void runSteer();
  });
};

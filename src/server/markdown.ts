/**
 * Lesson narration: Markdown (marked) with math typeset on the server (KaTeX) and one
 * directive, so the page arrives finished and needs no client-side typesetting.
 *
 *   ## A step title          every level-2 heading starts a step; text before the first is the intro
 *   $\mathbb{E}_q[\log p(x|z)]$      inline math
 *   $$ ... $$                display math (may span lines)
 *   {{source src/vae/kl.ts#gaussianKl}}   the real source of a declaration, linked to /api/
 *   {{try k=8 tied=false}}    a "Try it" button: sets those settings in the live panel and starts a run
 *   {{figure samples}}        one of the panel's live figures placed here, beside its paragraph
 */
import katex from 'katex';
import { Marked, type TokenizerAndRendererExtension } from 'marked';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { API_DIR } from './paths';
import { type SourceSnippet, apiPath, escapeHtml, extractSource, highlightTs } from './source';

/** Macros every lesson may use in math. */
export const KATEX_MACROS: Record<string, string> = {
  '\\E': '\\mathbb{E}',
  '\\KL': '\\mathrm{KL}',
  '\\N': '\\mathcal{N}',
  '\\R': '\\mathbb{R}',
  '\\ELBO': '\\mathrm{ELBO}',
};

/** One step of a lesson: an anchor id, its title (HTML) and its body (HTML). */
export interface Step {
  id: string;
  title: string;
  html: string;
}

export interface RenderedNarration {
  intro: string;
  steps: Step[];
  /** Every declaration quoted by a {{source}} directive, in order. */
  sources: SourceSnippet[];
}

/** The bodies of every {{try ...}} directive and the names of every {{figure ...}} in a narration (for checks). */
export function narrationDirectives(md: string): { tries: string[]; figures: string[] } {
  const tries = Array.from(md.matchAll(/\{\{try ([^}]*)\}\}/g), (m) => m[1].trim());
  const figures = Array.from(md.matchAll(/^\{\{figure ([^}]*)\}\}/gm), (m) => m[1].trim());
  return { tries, figures };
}

function renderMath(tex: string, displayMode: boolean): string {
  try {
    return katex.renderToString(tex, {
      displayMode,
      throwOnError: true,
      macros: { ...KATEX_MACROS },
      output: 'htmlAndMathml',
    });
  } catch (e) {
    throw new Error(`math: ${(e as Error).message.split('\n')[0]} in $${tex.slice(0, 80)}$`);
  }
}

function makeMarked(sources: SourceSnippet[]): Marked {
  const blockMath: TokenizerAndRendererExtension = {
    name: 'blockMath',
    level: 'block',
    start: (src) => src.match(/^\$\$/m)?.index,
    tokenizer(src) {
      const m = /^\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/.exec(src);
      if (m) return { type: 'blockMath', raw: m[0], text: m[1].trim() };
      return undefined;
    },
    renderer: (token) => `<div class="math-display">${renderMath(token.text as string, true)}</div>\n`,
  };
  const inlineMath: TokenizerAndRendererExtension = {
    name: 'inlineMath',
    level: 'inline',
    start: (src) => {
      const i = src.indexOf('$');
      return i < 0 ? undefined : i;
    },
    tokenizer(src) {
      const m = /^\$(?!\s)((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)/.exec(src);
      if (m) return { type: 'inlineMath', raw: m[0], text: m[1] };
      return undefined;
    },
    renderer: (token) => renderMath(token.text as string, false),
  };
  const source: TokenizerAndRendererExtension = {
    name: 'sourceDirective',
    level: 'block',
    start: (src) => src.match(/^\{\{source /m)?.index,
    tokenizer(src) {
      const m = /^\{\{source ([A-Za-z0-9_./-]+\.ts)#([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)\}\}[ \t]*(?:\n+|$)/.exec(
        src,
      );
      if (m) return { type: 'sourceDirective', raw: m[0], file: m[1], name: m[2] };
      return undefined;
    },
    renderer(token) {
      const snippet = extractSource(token.file as string, token.name as string);
      sources.push(snippet);
      return renderSnippet(snippet);
    },
  };
  const tryIt: TokenizerAndRendererExtension = {
    name: 'tryDirective',
    level: 'inline',
    start: (src) => {
      const i = src.indexOf('{{try ');
      return i < 0 ? undefined : i;
    },
    tokenizer(src) {
      const m = /^\{\{try ((?:[A-Za-z_]\w*=[^\s}]+ ?)+)\}\}/.exec(src);
      if (m) return { type: 'tryDirective', raw: m[0], text: m[1].trim() };
      return undefined;
    },
    renderer: (token) => {
      const body = token.text as string;
      const label = body.split(/\s+/).join(', ');
      // Disabled until the panel has loaded and wired it.
      return `<button type="button" class="try-it" data-try="${escapeHtml(body)}" disabled>Try it: ${escapeHtml(label)}</button>`;
    },
  };
  const figure: TokenizerAndRendererExtension = {
    name: 'figureDirective',
    level: 'block',
    start: (src) => src.match(/^\{\{figure /m)?.index,
    tokenizer(src) {
      const m = /^\{\{figure ([a-z][\w-]*)\}\}[ \t]*(?:\n+|$)/.exec(src);
      if (m) return { type: 'figureDirective', raw: m[0], name: m[1] };
      return undefined;
    },
    renderer: (token) => `<div class="figure-slot" data-figure="${escapeHtml(token.name as string)}"></div>\n`,
  };
  return new Marked({ gfm: true, extensions: [blockMath, inlineMath, source, tryIt, figure] });
}

/** The HTML figure for a quoted declaration: caption with API link and file/lines, highlighted code. */
export function renderSnippet(s: SourceSnippet): string {
  const api = apiPath(s);
  // Link to the API page when the reference is built and has it (non-exported helpers have none).
  const apiFile = path.join(API_DIR, api.split('#')[0]);
  const linked = !fs.existsSync(API_DIR) || fs.existsSync(apiFile);
  const label = `<code>${escapeHtml(s.name)}</code>`;
  const title = linked ? `<a class="api-link" href="/api/${api}">${label}</a>` : label;
  return (
    `<figure class="source" data-source="${escapeHtml(`${s.file}#${s.name}`)}">` +
    `<figcaption>${title} <span class="kind">${s.kind}</span> <span class="where">${escapeHtml(s.file)}:${s.startLine}-${s.endLine}</span></figcaption>` +
    `<pre><code class="language-ts">${highlightTs(s.code)}</code></pre></figure>\n`
  );
}

/** Splits narration at level-2 headings (outside code fences) into an intro and titled steps. */
export function splitSteps(md: string): { intro: string; steps: { title: string; body: string }[] } {
  const lines = md.split(/\r?\n/);
  let fence = false;
  const intro: string[] = [];
  const steps: { title: string; body: string[] }[] = [];
  for (const line of lines) {
    if (/^(```|~~~)/.test(line)) fence = !fence;
    const h = !fence && /^## (.+)$/.exec(line);
    if (h) steps.push({ title: h[1].trim(), body: [] });
    else if (steps.length) steps[steps.length - 1].body.push(line);
    else intro.push(line);
  }
  return { intro: intro.join('\n'), steps: steps.map((s) => ({ title: s.title, body: s.body.join('\n') })) };
}

/** Renders a narration file's text into intro + steps; throws with the step named on bad math or a bad directive. */
export function renderNarration(md: string): RenderedNarration {
  const sources: SourceSnippet[] = [];
  const marked = makeMarked(sources);
  const { intro, steps } = splitSteps(md);
  const out: Step[] = steps.map((s, i) => {
    try {
      return {
        id: `step-${i + 1}`,
        title: marked.parseInline(s.title) as string,
        html: marked.parse(s.body) as string,
      };
    } catch (e) {
      throw new Error(`step ${i + 1} ('${s.title}'): ${(e as Error).message}`);
    }
  });
  return { intro: marked.parse(intro) as string, steps: out, sources };
}

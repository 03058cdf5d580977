/**
 * The project's documentation as the tests read it: README.md and docs/*.md, their code blocks
 * (tests/package/pack.test.ts type-checks and runs them), their relative links and the anchors
 * their headings get (tests/docs/links.test.ts checks that every link lands).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** README.md, then every docs/*.md in name order, as paths relative to ROOT. */
export function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

/** A fenced code block of a documentation file. */
export interface DocBlock {
  /** The file it is in, relative to ROOT. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** Set by a `<!-- readme-test: typecheck only (why) -->` line just above the fence. */
  typecheckOnly: boolean;
}

/** Every ts/js/typescript/javascript block of a markdown text, in order. */
export function markdownCodeBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|js|typescript|javascript)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    blocks.push({
      file,
      line: start + 1,
      lang: open[1],
      code: `${body.join('\n')}\n`,
      typecheckOnly: start > 0 && /^<!-- readme-test: typecheck only/.test(lines[start - 1]),
    });
  }
  return blocks;
}

/** The code blocks of README.md and docs/*.md. */
export function docCodeBlocks(): DocBlock[] {
  return docFiles().flatMap((f) => markdownCodeBlocks(fs.readFileSync(path.join(ROOT, f), 'utf8'), f));
}

/** The lines outside fenced code blocks (a `#` or `](` inside code is no heading or link). */
function proseLines(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    else if (!fenced) out.push({ text, line: i + 1 });
  });
  return out;
}

/** A markdown link `[text](target)` that is not a URL: `target` is a path and/or `#anchor`. */
export interface RelativeLink {
  line: number;
  target: string;
}

export function relativeLinks(markdown: string): RelativeLink[] {
  const links: RelativeLink[] = [];
  for (const { text, line } of proseLines(markdown)) {
    // Inline code is no link (link text may hold code: [`gensparse`](docs/cli.md) stays a link).
    const prose = text.replace(/`[^`]*`/g, '');
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ line, target });
    }
  }
  return links;
}

/**
 * The anchors GitHub gives a file's headings: lower case, punctuation other than `-` and `_`
 * dropped, spaces to `-`, and `-1`, `-2`, ... on repeats.
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/**
 * The import graph between folders: every relative import runs downward in the README's layer order
 * (src/base at the bottom, then kernels, src/core, ...), and no folder reaches itself through others.
 * Read from the sources (import / export ... from, import(), require()), type-only imports included.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');

/** Layers, bottom first; a folder may import its own layer's other folders only where listed in SAME_LAYER. */
const LAYERS: string[][] = [
  ['src/base'],
  ['kernels'],
  ['src/core'],
  ['src/data', 'src/charts'],
  ['src/vae', 'src/sae'],
  ['src/sae/eval'],
  ['src/analysis'],
  ['src/lesson', 'src/cli'],
  ['src/server', 'src/server/browser', 'src'],
  ['lessons', 'bench', 'experiments'],
];

/** The folder a file belongs to in LAYERS. */
function folderOf(file: string): string {
  const parts = path.relative(ROOT, file).split(path.sep);
  if (parts[0] === 'kernels' || parts[0] === 'lessons' || parts[0] === 'bench' || parts[0] === 'experiments')
    return parts[0];
  if (parts.length === 2) return 'src';
  if (parts[1] === 'server' && parts[2] === 'browser') return 'src/server/browser';
  if (parts[1] === 'sae' && parts[2] === 'eval') return 'src/sae/eval';
  return `src/${parts[1]}`;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Folder-level edges "a -> b" with one example file import each. */
function folderEdges(): Map<string, string> {
  const edges = new Map<string, string>();
  const files = ['src', 'kernels', 'lessons', 'bench', 'experiments'].flatMap((d) => sourceFiles(path.join(ROOT, d)));
  const spec = /(?:from\s+|import\(\s*|require\(\s*)['"](\.[^'"]+)['"]/g;
  for (const file of files) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(spec)) {
      const base = path.resolve(path.dirname(file), m[1]);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c));
      if (!target) continue;
      const a = folderOf(file);
      const b = folderOf(target);
      if (a !== b && !edges.has(`${a} -> ${b}`))
        edges.set(`${a} -> ${b}`, `${path.relative(ROOT, file)} imports ${m[1]}`);
    }
  }
  return edges;
}

const layerOf = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));

test('every folder is in a layer', () => {
  const folders = new Set([...folderEdges().keys()].flatMap((e) => e.split(' -> ')));
  expect([...folders].filter((f) => layerOf(f) < 0)).toEqual([]);
});

test('imports run only downward (or within a layer) and there is no folder cycle', () => {
  const edges = folderEdges();
  const upward = [...edges].filter(([e]) => {
    const [a, b] = e.split(' -> ');
    return layerOf(b) > layerOf(a);
  });
  expect(upward).toEqual([]);
  // Within a layer, a cycle would still be a cycle: depth-first search over the edges.
  const next = new Map<string, string[]>();
  for (const e of edges.keys()) {
    const [a, b] = e.split(' -> ');
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const g of next.get(f) ?? []) visit(g, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of next.keys()) visit(f, []);
  expect(cycles).toEqual([]);
});

test('no lesson imports another lesson', () => {
  const lessonsDir = path.join(ROOT, 'lessons');
  const crossing: string[] = [];
  for (const file of sourceFiles(lessonsDir)) {
    const own = path.relative(lessonsDir, file).split(path.sep)[0];
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
      const target = path.relative(lessonsDir, path.resolve(path.dirname(file), m[1]));
      if (!target.startsWith('..') && target.split(path.sep)[0] !== own)
        crossing.push(`${path.relative(ROOT, file)} imports ${m[1]}`);
    }
  }
  expect(crossing).toEqual([]);
});

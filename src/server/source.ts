/**
 * The `{{source file#name}}` directive: the real source of a named declaration, read from
 * src/ or kernels/ when the lesson is rendered, so what a lesson shows can never drift from
 * what runs. Declarations are found with the TypeScript parser, not a regex: a function,
 * class, interface, type alias or exported const, or a class member as `Class.member`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { ROOT, isInside } from './paths';

/** Folders a lesson may quote from. */
export const SOURCE_ROOTS = ['src', 'kernels'];

export type DeclKind = 'function' | 'class' | 'interface' | 'type' | 'variable' | 'method' | 'property';

/** One quoted declaration: its text (doc comment included) and where it lives. */
export interface SourceSnippet {
  file: string;
  name: string;
  kind: DeclKind;
  code: string;
  startLine: number;
  endLine: number;
}

/** Resolves a repository-relative .ts path inside one of SOURCE_ROOTS, or throws. */
export function resolveSourceFile(file: string): string {
  if (!/^[A-Za-z0-9_./-]+\.ts$/.test(file) || file.includes('..')) throw new Error(`source: bad file name '${file}'`);
  const abs = path.resolve(ROOT, file);
  if (!SOURCE_ROOTS.some((r) => isInside(path.join(ROOT, r), abs)))
    throw new Error(`source: '${file}' is outside ${SOURCE_ROOTS.join(', ')}`);
  if (!fs.existsSync(abs)) throw new Error(`source: '${file}' does not exist`);
  return abs;
}

/** Reads `file` and returns the declaration `name` (`fn`, `Class`, or `Class.method`). */
export function extractSource(file: string, name: string): SourceSnippet {
  const abs = resolveSourceFile(file);
  const text = fs.readFileSync(abs, 'utf8');
  const sf = ts.createSourceFile(abs, text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const [outer, member] = name.split('.');
  const found = findTopLevel(sf, outer);
  if (!found) throw new Error(`source: no declaration '${outer}' in ${file}`);
  let node: ts.Node = found.node;
  let kind: DeclKind = found.kind;
  if (member) {
    if (!ts.isClassDeclaration(found.node) && !ts.isInterfaceDeclaration(found.node))
      throw new Error(`source: '${outer}' in ${file} is not a class`);
    const m = (found.node.members as ts.NodeArray<ts.Node>).find((mm) => {
      const n = (mm as ts.ClassElement).name;
      return n !== undefined && ts.isIdentifier(n) && n.text === member;
    });
    if (!m) throw new Error(`source: no member '${member}' in ${outer} (${file})`);
    node = m;
    kind = ts.isMethodDeclaration(m) || ts.isMethodSignature(m) ? 'method' : 'property';
  }
  const start = (member ? node : (found.first ?? node)).getStart(sf, true);
  const end = node.getEnd();
  const startLine = sf.getLineAndCharacterOfPosition(start).line + 1;
  const endLine = sf.getLineAndCharacterOfPosition(end).line + 1;
  const indent = text.slice(text.lastIndexOf('\n', start - 1) + 1, start);
  const code = dedent(indent.trim() === '' ? indent + text.slice(start, end) : text.slice(start, end));
  return { file, name, kind, code, startLine, endLine };
}

function findTopLevel(sf: ts.SourceFile, name: string): { node: ts.Node; first?: ts.Node; kind: DeclKind } | undefined {
  let firstOverload: ts.Node | undefined;
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name?.text === name) {
      // An overloaded function: quote every signature (the doc comment sits on the first) and the implementation.
      if (!st.body) {
        firstOverload ??= st;
        continue;
      }
      return { node: st, first: firstOverload, kind: 'function' };
    }
    if (ts.isClassDeclaration(st) && st.name?.text === name) return { node: st, kind: 'class' };
    if (ts.isInterfaceDeclaration(st) && st.name.text === name) return { node: st, kind: 'interface' };
    if (ts.isTypeAliasDeclaration(st) && st.name.text === name) return { node: st, kind: 'type' };
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.name.text === name) {
          const isFn =
            d.initializer !== undefined &&
            (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer));
          return { node: st, kind: isFn ? 'function' : 'variable' };
        }
      }
    }
  }
  return undefined;
}

function dedent(code: string): string {
  const lines = code.split('\n');
  const widths = lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)![0].length);
  const cut = widths.length ? Math.min(...widths) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** The TypeDoc page of a declaration (classes/Foo.html, functions/bar.html, ...), relative to /api/. */
export function apiPath(snippet: Pick<SourceSnippet, 'name' | 'kind'>): string {
  const [outer, member] = snippet.name.split('.');
  if (member) return `classes/${outer}.html#${member.toLowerCase()}`;
  const folder = {
    function: 'functions',
    class: 'classes',
    interface: 'interfaces',
    type: 'types',
    variable: 'variables',
    method: 'classes',
    property: 'classes',
  }[snippet.kind];
  return `${folder}/${outer}.html`;
}

const KEYWORDS = new Set(
  (
    'abstract as async await break case catch class const continue default do else enum export extends ' +
    'false finally for from function if implements import in instanceof interface let new null of private protected public ' +
    'readonly return static super switch this throw true try type typeof undefined void while yield'
  ).split(' '),
);

/** Minimal TypeScript highlighting: comments, strings, numbers, keywords (escaped HTML out). */
export function highlightTs(code: string): string {
  const re =
    /(\/\*[\s\S]*?\*\/|\/\/[^\n]*)|(`(?:\\[\s\S]|[^`\\])*`|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_$][\w$]*)/g;
  let out = '';
  let last = 0;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    out += escapeHtml(code.slice(last, m.index));
    const t = escapeHtml(m[0]);
    if (m[1]) out += `<span class="tok-c">${t}</span>`;
    else if (m[2]) out += `<span class="tok-s">${t}</span>`;
    else if (m[3]) out += `<span class="tok-n">${t}</span>`;
    else if (KEYWORDS.has(m[0])) out += `<span class="tok-k">${t}</span>`;
    else out += t;
    last = m.index + m[0].length;
  }
  return out + escapeHtml(code.slice(last));
}

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The lesson framework's pieces: the {{source}} directive quotes the real text of a
 * declaration, narration splits into steps with math typeset, lesson.json is validated,
 * and the lesson CLI parses its arguments.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { apiPath, extractSource, highlightTs } from '../../src/server/source';
import { renderNarration, splitSteps } from '../../src/server/markdown';
import { parseLessonMeta } from '../../src/server/lessons';
import { parseArgs } from '../../src/server/lesson-cli';
import { parseSetting, readSettings } from '../../src/lesson/settings';
import { type BuildStep, MNIST_BROWSER, build } from '../../src/server/build';

const ROOT = path.join(__dirname, '../..');

describe('source directive', () => {
  test('quotes a function verbatim (doc comment included) with its line range', () => {
    const s = extractSource('src/core/train.ts', 'readMetrics');
    const text = fs.readFileSync(path.join(ROOT, 'src/core/train.ts'), 'utf8');
    expect(text).toContain(s.code);
    expect(s.code.startsWith('/**')).toBe(true);
    expect(s.code).toContain('export async function readMetrics(');
    expect(s.code.trimEnd().endsWith('}')).toBe(true);
    const lines = text.split('\n');
    expect(lines[s.startLine - 1]).toContain('/**');
    expect(lines[s.endLine - 1].trim()).toBe('}');
    expect(s.kind).toBe('function');
    expect(apiPath(s)).toBe('functions/readMetrics.html');
  });

  test('quotes a class method, dedented, and links it to the class page', () => {
    const s = extractSource('src/core/train.ts', 'MetricHistory.series');
    expect(s.kind).toBe('method');
    expect(s.code).toMatch(/^\s*series\(name: string\)/m);
    expect(s.code.split('\n')[0].startsWith(' ')).toBe(false);
    expect(apiPath(s)).toBe('classes/MetricHistory.html#series');
  });

  test('an overloaded function is quoted from its first signature (with the doc comment) to the implementation', () => {
    const dir = path.join(ROOT, 'src/server/__fixture__');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'overload.ts');
    fs.writeFileSync(
      file,
      [
        'const before = 1;',
        '/** Doubles. */',
        'export function twice(x: number): number;',
        'export function twice(x: string): string;',
        'export function twice(x: number | string): number | string {',
        "  return typeof x === 'number' ? 2 * x : x + x;",
        '}',
        '',
      ].join('\n'),
    );
    try {
      const s = extractSource('src/server/__fixture__/overload.ts', 'twice');
      expect(s.code.split('\n')[0]).toBe('/** Doubles. */');
      expect(s.code).toContain('twice(x: string): string;');
      expect(s.code.trimEnd().endsWith('}')).toBe(true);
      expect([s.startLine, s.endLine]).toEqual([2, 7]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses files outside src/ and kernels/, and unknown names', () => {
    expect(() => extractSource('package.json', 'x')).toThrow(/bad file name/);
    expect(() => extractSource('tests/setup/wasm.ts', 'x')).toThrow(/outside/);
    expect(() => extractSource('src/../tests/setup/wasm.ts', 'x')).toThrow(/bad file name/);
    expect(() => extractSource('src/core/train.ts', 'noSuchThing')).toThrow(/no declaration 'noSuchThing'/);
    expect(() => extractSource('src/core/missing.ts', 'x')).toThrow(/does not exist/);
  });

  test('highlighting escapes HTML and keeps the text', () => {
    const code = 'const a = b < c && "x<y>"; // a > b';
    const html = highlightTs(code);
    expect(html).not.toMatch(/<(?!\/?span)/);
    expect(
      html
        .replace(/<[^>]+>/g, '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"'),
    ).toBe(code);
  });
});

describe('narration', () => {
  test('level-2 headings start steps; code fences are not split', () => {
    const { intro, steps } = splitSteps('Intro text\n\n## One\nA\n```\n## not a step\n```\n## Two $x$\nB\n');
    expect(intro.trim()).toBe('Intro text');
    expect(steps.map((s) => s.title)).toEqual(['One', 'Two $x$']);
    expect(steps[0].body).toContain('## not a step');
  });

  test('math is typeset, directives are expanded, bad math names the step', () => {
    const r = renderNarration(
      'Hi $a^2$.\n\n## Step $\\KL$\n\n$$\n\\E_q[\\log p(x)]\n$$\n\n{{source src/core/train.ts#readMetrics}}\n\nText with \\$5 and `$code$`.\n',
    );
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0].title).toContain('class="katex"');
    expect(r.steps[0].html).toContain('class="math-display"');
    expect(r.steps[0].html).toContain('data-source="src/core/train.ts#readMetrics"');
    expect(r.steps[0].html).toContain('<code>$code$</code>');
    expect(r.intro).toContain('class="katex"');
    expect(r.sources.map((s) => s.name)).toEqual(['readMetrics']);
    expect(() => renderNarration('## Broken\n\n$\\frac{1}{$\n')).toThrow(/step 1 \('Broken'\): math/);
  });
});

describe('lesson.json and CLI arguments', () => {
  test('lesson.json fields are validated by name', () => {
    const ok = { id: 'a-b', title: 'T', order: 2, summary: 's', status: 'ready' };
    expect(parseLessonMeta(JSON.stringify(ok), 'a-b')).toEqual(ok);
    expect(() => parseLessonMeta(JSON.stringify({ ...ok, id: 'x' }), 'a-b')).toThrow(/'id'/);
    expect(() => parseLessonMeta(JSON.stringify({ ...ok, order: 0 }), 'a-b')).toThrow(/'order'/);
    expect(() => parseLessonMeta(JSON.stringify({ ...ok, status: 'done' }), 'a-b')).toThrow(/'status'/);
  });

  test('npm run lesson arguments', () => {
    expect(parseArgs(['vae-intro', '--quick', '--seed', '7', '--out', '/tmp/x'])).toEqual({
      list: false,
      help: false,
      id: 'vae-intro',
      quick: true,
      out: '/tmp/x',
      seed: 7,
    });
    expect(parseArgs(['--list']).list).toBe(true);
    expect(() => parseArgs(['x', '--seed'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--seed', '-1', 'x'])).toThrow(/--seed must be an integer/);
    expect(() => parseArgs(['x', '--seed', '1.5'])).toThrow(/--seed must be an integer/);
    expect(() => parseArgs(['../etc'])).toThrow(/not a lesson id/);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/unknown option/);
  });
});

describe('panel settings in the URL', () => {
  const specs = {
    seed: { kind: 'int' as const, label: 'seed', default: 1, min: 0, max: 100 },
    lr: { kind: 'number' as const, label: 'lr', default: 0.01, min: 1e-5, max: 1 },
    data: { kind: 'choice' as const, label: 'data', default: 'ring', options: ['ring', 'moons'] },
    warm: { kind: 'bool' as const, label: 'warm', default: false },
  };
  test('valid values are read; invalid ones fall back to the default and are reported', () => {
    const { values, problems } = readSettings(specs, '?seed=5&lr=0.5&data=moons&warm=1');
    expect(values).toEqual({ seed: 5, lr: 0.5, data: 'moons', warm: true });
    expect(problems).toEqual([]);
    const bad = readSettings(specs, '?seed=5.5&lr=abc&data=<script>&warm=maybe');
    expect(bad.values).toEqual({ seed: 1, lr: 0.01, data: 'ring', warm: false });
    expect(bad.problems).toHaveLength(4);
    expect(parseSetting(specs.lr, '')).toBeUndefined();
    expect(parseSetting(specs.seed, '101')).toBeUndefined();
  });
});

describe('npm run lesson (the CLI process)', () => {
  const tsx = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [tsx, path.join(ROOT, 'src/server/lesson-cli.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });

  test('--list prints the ten lessons in order', () => {
    const r = cli(['--list']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^\s*1\s+vae-intro\s+ready/);
    expect(lines[8]).toMatch(/^\s*9\s+sae-language-model\s+ready/);
    expect(lines[9]).toMatch(/^\s*10\s+sae-transcoders\s+ready/);
  }, 60_000);

  test('bad arguments exit 2 with the usage; an unknown lesson exits 2', () => {
    const bad = cli(['--seed', 'x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage: npm run lesson');
    const unknown = cli(['no-such-lesson']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("no lesson 'no-such-lesson'");
  }, 60_000);
});

describe('build', () => {
  test('writes the MNIST subset, wasm and KaTeX files, and skips unchanged steps', async () => {
    const steps: BuildStep[] = ['wasm', 'katex', 'mnist'];
    await build({ steps });
    const again = await build({ steps });
    expect(again.map((r) => [r.step, r.skipped])).toEqual(steps.map((s) => [s, true]));
    const data = path.join(ROOT, 'public/build/data');
    expect(fs.statSync(path.join(data, 'mnist-train-images.u8')).size).toBe(MNIST_BROWSER.train * 784);
    expect(fs.statSync(path.join(data, 'mnist-test-labels.u8')).size).toBe(MNIST_BROWSER.test);
    const labels = fs.readFileSync(path.join(data, 'mnist-test-labels.u8'));
    expect(Array.from(labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]); // the first MNIST test labels
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      expect(fs.existsSync(path.join(ROOT, 'public/build/wasm', f))).toBe(true);
    }
    expect(fs.existsSync(path.join(ROOT, 'public/build/katex/katex.min.css'))).toBe(true);
  });
});

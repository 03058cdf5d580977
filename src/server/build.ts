/**
 * The site's build, run by `npm start` before it listens (and by the browser tests):
 *
 *   js     esbuild bundles src/browser.ts, the page runtimes and every lessons/<id>/panel.ts
 *          (ES modules with shared chunks, so tfjs is downloaded once) into public/build/js
 *   wasm   the tfjs wasm binaries, served locally (setWasmPaths points at /assets/build/wasm/)
 *   katex  KaTeX's stylesheet and fonts
 *   mnist  a uint8 subset of MNIST (10k train + 1k test images) for the browser
 *   charlm the shipped character model (assets/char-lm) and the first characters of its training
 *          and held-out text (CHAR_TEXT_CHARS), for lesson 9
 *   api    the TypeDoc API reference of src/index.ts, into public/build/api
 *
 * Each step records a key of its inputs (paths, sizes, modification times) and is skipped
 * when the key is unchanged, so a restart without edits takes well under a second.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/atomic';
import { API_DIR, BUILD_DIR, LESSONS_DIR, ROOT } from './paths';
import { discoverLessons } from './lessons';
import { mnistDataDir } from '../data/mnist';
import { parseIdx } from '../data/idx';
import { assetDir } from '../data/lm/assets';
import { loadTextSplit } from '../data/lm/text';
import { CHAR_TEXT_CHARS } from '../lesson/experiment';

export type BuildStep = 'js' | 'wasm' | 'katex' | 'mnist' | 'charlm' | 'api';
export const ALL_STEPS: BuildStep[] = ['js', 'wasm', 'katex', 'mnist', 'charlm', 'api'];

export interface BuildOptions {
  steps?: BuildStep[];
  /** Rebuild even when the inputs are unchanged. */
  force?: boolean;
  log?: (line: string) => void;
  /** Minify the bundles (default true). */
  minify?: boolean;
}

export interface StepResult {
  step: BuildStep;
  skipped: boolean;
  ms: number;
  note?: string;
}

/** MNIST subset sizes served to the browser. */
export const MNIST_BROWSER = { train: 10000, test: 1000 } as const;

const STAMPS = path.join(BUILD_DIR, '.stamps.json');

function readStamps(): Record<string, string> {
  try {
    return JSON.parse(fs.readFileSync(STAMPS, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * Records one step's key. Several builds may run at once (the server's background API build
 * beside a restart or a test's build), so the file is read again and only this step's key is
 * replaced: writing back a copy read earlier would undo the others' keys.
 */
function saveStamp(step: BuildStep, stamps: Record<string, string>): void {
  const current = readStamps();
  if (stamps[step] === undefined) delete current[step];
  else current[step] = stamps[step];
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  writeFileAtomic(STAMPS, JSON.stringify(current, null, 1));
}

/** A key for a set of files: their paths, sizes and modification times (missing files count too). */
export function filesKey(files: string[], extra = ''): string {
  const h = crypto.createHash('sha256').update(extra);
  for (const f of [...files].sort()) {
    try {
      const st = fs.statSync(f);
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
    } catch {
      h.update(`${f}\0missing\n`);
    }
  }
  return h.digest('hex');
}

function walk(dir: string, keep: (f: string) => boolean, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out;
}

/** The esbuild entry points: name (under public/build/js) -> source file. */
export function bundleEntries(): Record<string, string> {
  const entries: Record<string, string> = {
    gensparse: path.join(ROOT, 'src/browser.ts'),
    'lesson-page': path.join(ROOT, 'src/server/browser/lesson-page.ts'),
    'train-worker': path.join(ROOT, 'src/server/browser/train-worker.ts'),
  };
  if (fs.existsSync(path.join(ROOT, 'bench/kernel-suite.ts')))
    entries['bench-page'] = path.join(ROOT, 'src/server/browser/bench-page.ts');
  for (const l of discoverLessons(LESSONS_DIR)) {
    const panel = path.join(l.dir, 'panel.ts');
    if (l.hasPanel) entries[`panels/${l.id}`] = fs.existsSync(panel) ? panel : path.join(l.dir, 'experiment.ts');
  }
  return entries;
}

async function buildJs(minify: boolean, stamps: Record<string, string>, force: boolean): Promise<boolean> {
  const esbuild = await import('esbuild');
  const entries = bundleEntries();
  const outdir = path.join(BUILD_DIR, 'js');
  const inputsFile = path.join(BUILD_DIR, '.js-inputs.json');
  let previousInputs: string[] = [];
  try {
    previousInputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8')) as string[];
  } catch {
    /* first build */
  }
  const key = filesKey(previousInputs, JSON.stringify(entries) + String(minify));
  if (!force && previousInputs.length && stamps.js === key && fs.existsSync(outdir)) return false;
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: entries,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
    chunkNames: 'chunks/[name]-[hash]',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const inputs = Object.keys(result.metafile!.inputs).map((f) => path.resolve(ROOT, f));
  fs.writeFileSync(inputsFile, JSON.stringify(inputs));
  stamps.js = filesKey(inputs, JSON.stringify(entries) + String(minify));
  return true;
}

function copyFiles(
  pairs: [string, string][],
  stepKey: string,
  stamps: Record<string, string>,
  force: boolean,
): boolean {
  const key = filesKey(
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]).join('|'),
  );
  if (!force && stamps[stepKey] === key && pairs.every(([, to]) => fs.existsSync(to))) return false;
  for (const [from, to] of pairs) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  stamps[stepKey] = key;
  return true;
}

function wasmPairs(): [string, string][] {
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return fs
    .readdirSync(path.join(dist, 'dist'))
    .filter((f) => f.endsWith('.wasm'))
    .map((f) => [path.join(dist, 'dist', f), path.join(BUILD_DIR, 'wasm', f)] as [string, string]);
}

function katexPairs(): [string, string][] {
  const dist = path.join(path.dirname(require.resolve('katex/package.json')), 'dist');
  const pairs: [string, string][] = [
    [path.join(dist, 'katex.min.css'), path.join(BUILD_DIR, 'katex', 'katex.min.css')],
  ];
  for (const f of fs.readdirSync(path.join(dist, 'fonts'))) {
    if (f.endsWith('.woff2')) pairs.push([path.join(dist, 'fonts', f), path.join(BUILD_DIR, 'katex', 'fonts', f)]);
  }
  return pairs;
}

/** Writes the uint8 MNIST subset: mnist-{train,test}-{images,labels}.u8 (images row-major, 784 bytes each). */
function buildMnist(stamps: Record<string, string>, force: boolean): boolean {
  const dir = mnistDataDir();
  const files = [
    'train-images-idx3-ubyte',
    'train-labels-idx1-ubyte',
    't10k-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
  ].map((f) => path.join(dir, f));
  const outDir = path.join(BUILD_DIR, 'data');
  const key = filesKey(files, JSON.stringify(MNIST_BROWSER));
  if (!force && stamps.mnist === key && fs.existsSync(path.join(outDir, 'mnist-test-labels.u8'))) return false;
  fs.mkdirSync(outDir, { recursive: true });
  for (const [split, prefix] of [
    ['train', 'train'],
    ['test', 't10k'],
  ] as const) {
    const n = MNIST_BROWSER[split];
    const images = parseIdx(
      fs.readFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`)),
      [null, 28, 28],
      `${split} images`,
    );
    const labels = parseIdx(fs.readFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`)), [null], `${split} labels`);
    fs.writeFileSync(path.join(outDir, `mnist-${split}-images.u8`), (images.data as Uint8Array).subarray(0, n * 784));
    fs.writeFileSync(path.join(outDir, `mnist-${split}-labels.u8`), (labels.data as Uint8Array).subarray(0, n));
  }
  stamps.mnist = key;
  return true;
}

/**
 * Writes data/char-lm/: the shipped model's model.safetensors and config.json, and train.txt /
 * held-out.txt, the first CHAR_TEXT_CHARS characters of each split (what Node's NODE_DATA reads).
 */
function buildCharLm(stamps: Record<string, string>, force: boolean): boolean {
  const from = assetDir('char-lm');
  const files = ['model.safetensors', 'config.json'].map((f) => path.join(from, f));
  const outDir = path.join(BUILD_DIR, 'data', 'char-lm');
  const key = filesKey(files, JSON.stringify(CHAR_TEXT_CHARS));
  if (!force && stamps.charlm === key && fs.existsSync(path.join(outDir, 'held-out.txt'))) return false;
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of files) fs.copyFileSync(f, path.join(outDir, path.basename(f)));
  const split = loadTextSplit();
  fs.writeFileSync(path.join(outDir, 'train.txt'), split.train.slice(0, CHAR_TEXT_CHARS.train));
  fs.writeFileSync(path.join(outDir, 'held-out.txt'), split.heldOut.slice(0, CHAR_TEXT_CHARS.heldOut));
  stamps.charlm = key;
  return true;
}

const TYPEDOC: string = 'typedoc';
interface TypedocModule {
  Application: {
    bootstrapWithPlugins(options: Record<string, unknown>): Promise<{
      convert(): Promise<unknown>;
      generateDocs(project: unknown, out: string): Promise<void>;
    }>;
  };
}

/** Generates the TypeDoc reference of the public API (src/index.ts) into public/build/api. */
async function buildApi(stamps: Record<string, string>, force: boolean): Promise<boolean> {
  const inputs = walk(path.join(ROOT, 'src'), (f) => f.endsWith('.ts')).concat(
    walk(path.join(ROOT, 'kernels'), (f) => f.endsWith('.ts')),
  );
  const key = filesKey(inputs);
  if (!force && stamps.api === key && fs.existsSync(path.join(API_DIR, 'index.html'))) return false;
  // typedoc is an ES module whose types need "moduleResolution: node16"; declare the little we use.
  const td = (await import(TYPEDOC)) as TypedocModule;
  const app = await td.Application.bootstrapWithPlugins({
    entryPoints: [path.join(ROOT, 'src/index.ts')],
    tsconfig: path.join(ROOT, 'tsconfig.build.json'),
    name: 'gensparse API reference',
    readme: 'none',
    skipErrorChecking: true,
    excludePrivate: true,
    excludeInternal: true,
    disableSources: true,
    logLevel: 'Error',
    out: API_DIR,
  });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert src/index.ts');
  // One folder per process: two servers of one clone may build the reference at the same time.
  removeAbandonedApiFolders();
  const tmp = `${API_DIR}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await app.generateDocs(project, tmp);
  moveInlineScripts(tmp);
  fs.rmSync(API_DIR, { recursive: true, force: true });
  fs.renameSync(tmp, API_DIR);
  stamps.api = key;
  return true;
}

/** Removes the half-built references of builds that were stopped (the server stopped during its API build). */
export function removeAbandonedApiFolders(): void {
  const prefix = `${path.basename(API_DIR)}.tmp-`;
  if (!fs.existsSync(BUILD_DIR)) return;
  for (const name of fs.readdirSync(BUILD_DIR)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) continue;
    fs.rmSync(path.join(BUILD_DIR, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * TypeDoc pages carry small inline <script>s, which our CSP (script-src 'self') refuses.
 * Each distinct inline script is moved to a file beside the pages and loaded with src=.
 */
function moveInlineScripts(dir: string): void {
  const scripts = new Map<string, string>();
  for (const file of walk(dir, (f) => f.endsWith('.html'))) {
    const rel = path.relative(path.dirname(file), dir) || '.';
    const html = fs.readFileSync(file, 'utf8').replace(/<script>([\s\S]*?)<\/script>/g, (_m, code: string) => {
      const name = `inline-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 12)}.js`;
      scripts.set(name, code);
      return `<script src="${rel}/assets/${name}"></script>`;
    });
    fs.writeFileSync(file, html);
  }
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  for (const [name, code] of scripts) fs.writeFileSync(path.join(dir, 'assets', name), code);
}

/** Runs the build steps (all by default); each is skipped when its inputs are unchanged. A failing 'api' step is reported, not thrown. */
export async function build(options: BuildOptions = {}): Promise<StepResult[]> {
  const log = options.log ?? (() => {});
  const steps = options.steps ?? ALL_STEPS;
  const force = options.force ?? false;
  const stamps = readStamps();
  const results: StepResult[] = [];
  for (const step of steps) {
    const t0 = Date.now();
    let ran = false;
    let note: string | undefined;
    try {
      if (step === 'js') ran = await buildJs(options.minify ?? true, stamps, force);
      else if (step === 'wasm') ran = copyFiles(wasmPairs(), 'wasm', stamps, force);
      else if (step === 'katex') ran = copyFiles(katexPairs(), 'katex', stamps, force);
      else if (step === 'mnist') ran = buildMnist(stamps, force);
      else if (step === 'charlm') ran = buildCharLm(stamps, force);
      else if (step === 'api') ran = await buildApi(stamps, force);
    } catch (e) {
      if (step !== 'api') throw e;
      note = `failed: ${(e as Error).message.split('\n')[0]}`;
    }
    saveStamp(step, stamps);
    const r: StepResult = { step, skipped: !ran && !note, ms: Date.now() - t0, note };
    results.push(r);
    log(
      `build ${step.padEnd(5)} ${note ?? (r.skipped ? 'unchanged, skipped' : `done in ${(r.ms / 1000).toFixed(1)} s`)}`,
    );
  }
  return results;
}

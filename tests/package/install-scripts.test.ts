/**
 * npm 11 runs a dependency's install scripts only when package.json's `allowScripts` approves them
 * and warns about every one it does not cover. Every package of the lockfile that has an install
 * script must be declared, approved or denied, so `npm ci` is quiet and runs the same scripts
 * everywhere; and the denied ones must not be needed (esbuild still finds its binary).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

/** The lockfile's packages with install scripts, as name@version. */
function withInstallScripts(): string[] {
  return Object.entries(lock.packages)
    .filter(([where, p]) => where !== '' && p.hasInstallScript)
    .map(([where, p]) => `${where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${p.version}`);
}

/** The allowScripts entry covering `nameAtVersion` (a name-only entry or a pinned one), if any. */
function entryFor(nameAtVersion: string): boolean | undefined {
  const name = nameAtVersion.slice(0, nameAtVersion.lastIndexOf('@'));
  const allow = pkg.allowScripts ?? {};
  return allow[nameAtVersion] ?? allow[name];
}

test('every dependency with an install script is declared in allowScripts', () => {
  const found = withInstallScripts();
  expect(found.length).toBeGreaterThan(0);
  expect(found.filter((p) => entryFor(p) === undefined)).toEqual([]);
});

test('the declared decisions: esbuild and core-js denied, tfjs-node allowed', () => {
  const decisions = Object.fromEntries(withInstallScripts().map((p) => [p.slice(0, p.lastIndexOf('@')), entryFor(p)]));
  expect(decisions).toMatchObject({
    esbuild: false,
    'core-js': false,
    '@tensorflow/tfjs-node': true,
    '@tensorflow/tfjs-node-gpu': true,
  });
});

test('esbuild works without its install script (its binary comes as an optional package)', () => {
  // Run as npm runs it: the bin file itself (a Node script without the install script, the native
  // binary where an older install ran it), so the test holds for either install.
  const esbuild = require.resolve('esbuild/bin/esbuild', { paths: [ROOT] });
  const version = execFileSync(esbuild, ['--version'], { encoding: 'utf8' }).trim();
  expect(version).toBe(
    JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/esbuild/package.json'), 'utf8')).version,
  );
  // and the API the site's build calls
  const { transformSync } = require(require.resolve('esbuild', { paths: [ROOT] })) as typeof import('esbuild');
  expect(transformSync('let a: number = 1', { loader: 'ts' }).code).toBe('let a = 1;\n');
});

/** `npm install-scripts ls`, or null where this npm predates the script policy. */
function installScriptsLs(): string | null {
  try {
    return execFileSync('npm', ['install-scripts', 'ls'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const text = String((e as { stderr?: string }).stderr ?? '') + String((e as { stdout?: string }).stdout ?? '');
    if (/Unknown command/i.test(text)) return null;
    throw e;
  }
}

test('npm install-scripts ls finds nothing undeclared in this install', () => {
  const out = installScriptsLs();
  if (out === null) {
    console.warn('SKIPPED: this npm has no install-script policy (npm install-scripts), nothing to warn about');
    return;
  }
  expect(out).toContain('No packages with unreviewed install scripts');
});

/**
 * Packs the package once and lays it out in fresh consumer projects the way `npm install <tarball>`
 * does, without the network: the tarball is extracted to node_modules/gensparse, each dependency
 * the packed package.json declares is linked to this checkout's installed copy (checked to be the
 * exact pinned version), and the `bin` entries go to node_modules/.bin.
 *
 * Why not `npm install`: from the registry it takes ~45 s here and fails on an offline CI machine,
 * and the npm cache does not hold every package. What this layout still tests honestly: every
 * `require` in gensparse's own files resolves only through the names its package.json declares
 * (a development-only package such as katex or express is absent), the files list, the `exports`
 * map and the bin. What it does not test: npm's own resolution of version ranges (every dependency
 * is pinned exactly, so there is none).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface PackedPackage {
  /** Folder holding the tarball and the consumer projects. */
  dir: string;
  tarball: string;
  /** The packed package.json. */
  manifest: {
    name: string;
    bin?: Record<string, string>;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    [key: string]: unknown;
  };
  /** Paths inside the tarball (without the leading `package/`). */
  files: string[];
}

/** `npm pack` (its `prepack` builds dist/ first) into a fresh temporary folder. */
export function packOnce(): PackedPackage {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gensparse-pack-'));
  const out = execFileSync('npm', ['pack', '--pack-destination', dir, '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const info = JSON.parse(out.slice(out.indexOf('[')))[0] as { filename: string; files: { path: string }[] };
  const tarball = path.join(dir, path.basename(info.filename));
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  ) as PackedPackage['manifest'];
  return { dir, tarball, manifest, files: info.files.map((f) => f.path).sort() };
}

/**
 * A fresh project `name` in `packed.dir` with gensparse "installed". `type: 'module'` makes it an
 * ES-module project; without it, CommonJS (what `npm init -y` writes). `extra` links further
 * packages of this checkout (a user's own additions, such as typescript or an optional data package).
 */
export function makeConsumer(
  packed: PackedPackage,
  name: string,
  opts: { type?: 'module' | 'commonjs'; extra?: string[] } = {},
): string {
  const project = path.join(packed.dir, name);
  const modules = path.join(project, 'node_modules');
  fs.mkdirSync(path.join(modules, 'gensparse'), { recursive: true });
  const pkg: Record<string, unknown> = { name, version: '1.0.0', private: true };
  if (opts.type) pkg.type = opts.type;
  fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  execFileSync('tar', ['-xzf', packed.tarball, '-C', path.join(modules, 'gensparse'), '--strip-components=1']);

  const link = (dep: string, required: boolean, version?: string) => {
    const from = path.join(ROOT, 'node_modules', dep);
    if (!fs.existsSync(from)) {
      // An optional dependency whose install failed here (tfjs-node: its download host is unreachable).
      if (required) throw new Error(`${dep} is not installed in this checkout`);
      return;
    }
    const installed = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8')).version as string;
    if (version !== undefined && installed !== version)
      throw new Error(`${dep}: the package pins ${version}, this checkout has ${installed}`);
    const to = path.join(modules, dep);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.symlinkSync(fs.realpathSync(from), to, 'dir');
  };
  for (const [dep, version] of Object.entries(packed.manifest.dependencies ?? {})) link(dep, true, version);
  for (const [dep, version] of Object.entries(packed.manifest.optionalDependencies ?? {})) link(dep, false, version);
  for (const dep of opts.extra ?? []) link(dep, true);

  const bin = path.join(modules, '.bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [command, file] of Object.entries(packed.manifest.bin ?? {})) {
    const target = path.join(modules, 'gensparse', file);
    fs.chmodSync(target, 0o755);
    fs.symlinkSync(path.relative(bin, target), path.join(bin, command));
  }
  return project;
}

/**
 * `gensparse lesson | serve | experiment`: the course's entry points. The course (lessons written in
 * TypeScript, the Express site, the MNIST and text data) runs from a clone of the repository, where
 * its development dependencies are installed; the npm package ships the library and the training
 * command only. These wrappers find the clone this command runs from and start the clone's own
 * scripts with tsx, or say how to get one.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Thrown when the course is asked for outside a clone; the message says what to do. */
export class NotAClone extends Error {}

/** The folder of gensparse's package.json above `from` (the installed package or a clone). */
export function findPackageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gensparse')
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no gensparse package.json above ${from}`);
  }
}

/** The root of the clone this file belongs to (the package root, if it has lessons/), or null. */
export function findClone(from = __dirname): string | null {
  const root = findPackageRoot(from);
  return fs.existsSync(path.join(root, 'lessons')) && fs.existsSync(path.join(root, 'src')) ? root : null;
}

function requireClone(what: string): string {
  const root = findClone();
  if (root === null) {
    throw new NotAClone(
      `gensparse ${what} runs from a clone of the repository: the course's lessons, site and data are not ` +
        'part of the npm package. Clone it, run `npm ci` inside, then `npm run gensparse -- ' +
        `${what}\` there (the command from source; \`npx gensparse ${what}\` after \`npm run build\`).`,
    );
  }
  return root;
}

/**
 * Runs a TypeScript file of the clone in one Node process with tsx's loader (`node --import tsx`,
 * not the tsx command, whose own child process would be a second one to stop), forwarding
 * arguments, output and the exit code.
 */
function runWithTsx(root: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const loader = pathToFileURL(require.resolve('tsx', { paths: [root] })).href;
  return runProcess(process.execPath, ['--import', loader, path.join(root, script), ...args], root, env);
}

/** The signals a user or a process manager stops a command with; each is passed on to the child. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `command` and resolves with its exit code. While it runs, a stop signal sent to this process
 * is passed on to the child and this process waits for it to end (it would otherwise exit at once and
 * leave the child running, holding the server's port).
 */
function runProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const done = () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** `gensparse lesson ...`: src/server/lesson-cli.ts of the clone, with the same arguments. */
export function runLessonCommand(args: string[]): Promise<number> {
  return runWithTsx(requireClone('lesson'), 'src/server/lesson-cli.ts', args);
}

/** `gensparse serve`: the lesson site (src/server/main.ts), on PORT / HOST. */
export function runServeCommand(opts: { port?: number; host?: string }): Promise<number> {
  const env: NodeJS.ProcessEnv = {};
  if (opts.port !== undefined) env.PORT = String(opts.port);
  if (opts.host !== undefined) env.HOST = opts.host;
  return runWithTsx(requireClone('serve'), 'src/server/main.ts', [], env);
}

/** `gensparse experiment ...`: the clone's `npm run experiment`, if it has one. */
export function runExperimentCommand(args: string[]): Promise<number> {
  const root = requireClone('experiment');
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    }
  ).scripts;
  if (!scripts?.experiment) {
    throw new NotAClone(
      'gensparse experiment is not available yet: this clone has no `npm run experiment` script ' +
        '(the experiments runner has not landed). Lesson scripts run with `gensparse lesson <id>`.',
    );
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return runProcess(npm, ['run', '--silent', 'experiment', '--', ...args], root);
}

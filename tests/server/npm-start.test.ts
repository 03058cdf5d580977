/**
 * `npm start` as a user runs it: the lessons are served before the API reference is built, and /api
 * works once its background build is done.
 *
 * Stopping the server the ways users and process managers do: `npm start` and `gensparse serve`
 * (through `npm run gensparse`, as the README runs it in a clone) are started as a user starts them,
 * on a free port, and SIGTERM or SIGINT is sent to the process that was started (npm) only, not to its
 * process group. The port must be free afterwards and no process started below it may remain (the
 * server, the background API build, esbuild's service).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Every process below `pid` (Linux `ps`), depth first. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const out: number[] = [];
  const visit = (parent: number) => {
    for (const [p, pp] of table) {
      if (pp === parent) {
        out.push(p);
        visit(p);
      }
    }
  };
  visit(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves with the port once the server prints its address. */
function waitForAddress(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /gensparse lessons: http:\/\/localhost:(\d+)\//.exec(output());
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before serving:\n${output()}`)));
  });
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (condition()) return true;
  return condition();
}

/** A server started with `npm <npmArgs>` on a free port, its output, and a way to end it for sure. */
interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<void>;
  /** SIGKILLs whatever is left of it and of `pids` (the test failed half way). */
  cleanUp(pids: number[]): void;
}

async function startAsUser(npmArgs: string[]): Promise<Started> {
  const child = spawn('npm', npmArgs, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const output = () => text;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanUp = (pids: number[]) => {
    for (const pid of [child.pid!, ...pids]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  };
  try {
    return { child, port: await waitForAddress(child, output), output, exited, cleanUp };
  } catch (e) {
    cleanUp(descendants(child.pid!));
    throw e;
  }
}

test('npm start serves the lessons at once and the API reference once its background build is done', async () => {
  const s = await startAsUser(['start']);
  try {
    const get = async (p: string) => (await fetch(`http://127.0.0.1:${s.port}${p}`)).status;
    expect(await get('/lessons/sae-topk')).toBe(200);
    // 503 (with a page saying so) while it is being built, never a 404.
    let status = await get('/api/');
    expect([200, 503]).toContain(status);
    const end = Date.now() + 100_000;
    while (status === 503 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      status = await get('/api/');
    }
    expect(status).toBe(200);
    // The child reports how its step went (it may still be finishing when the old reference is served).
    expect(await waitFor(() => /build api +(done in|unchanged)/.test(s.output()), 60_000)).toBe(true);
  } finally {
    s.child.kill('SIGTERM');
    await s.exited;
    s.cleanUp(descendants(s.child.pid!));
  }
}, 150_000);

test('npm start on a port already in use says so and how to pick another, then exits', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('npm', ['start'], {
        cwd: ROOT,
        env: { ...process.env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.once('exit', (code) => resolve({ code, output }));
    });
    expect(r.code).toBe(1);
    expect(r.output).toContain('EADDRINUSE');
    expect(r.output).toContain('PORT=<n> npm start picks another port');
  } finally {
    blocker.close();
  }
}, 120_000);

const ways: [string, string[]][] = [
  ['npm start', ['start']],
  ['gensparse serve', ['run', 'gensparse', '--', 'serve', '--port', '0']],
];

describe.each(ways)('%s', (_name, npmArgs) => {
  test.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to npm stops the server, frees the port and leaves no process',
    async (signal) => {
      const s = await startAsUser(npmArgs);
      let below: number[] = [];
      try {
        expect(await portAccepts(s.port)).toBe(true);
        below = descendants(s.child.pid!);
        expect(below.length).toBeGreaterThan(0);
        s.child.kill(signal);
        await s.exited;
        // The server closes its listening socket before it exits; the children may take a moment.
        expect(await waitFor(() => below.every((pid) => !alive(pid)), 5000)).toBe(true);
        expect(await portAccepts(s.port)).toBe(false);
      } finally {
        s.cleanUp(below);
      }
    },
    120_000,
  );
});

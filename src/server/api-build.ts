/**
 * The API reference (TypeDoc, build.ts's 'api' step), built in a child process after the server
 * listens: TypeDoc takes most of a first build and runs the TypeScript compiler synchronously, so
 * in the server's own process it would delay the first page and freeze every request meanwhile.
 * The lessons are served at once; /api says it is being built until the child is done.
 *
 * The child is this file run as a script (`startApiBuild` spawns it with the server's own Node flags,
 * so tsx's loader comes along). It reports over an IPC channel and exits when that channel closes,
 * so it never outlives the server, even one killed with SIGKILL.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { ROOT } from './paths';

/** Where the background build stands: 'building', then 'ready' or 'failed' (with the reason). */
export interface ApiStatus {
  state: 'building' | 'ready' | 'failed';
  /** Why it failed. */
  reason?: string;
}

/** What the child sends once, when the step has finished. */
interface ApiBuildMessage {
  ok: boolean;
  note?: string;
}

export interface ApiBuild {
  status(): ApiStatus;
  /** Ends the child if it is still running (the server is stopping). */
  stop(): void;
}

/** Starts the 'api' step in a child process; its build line goes to `log`. */
export function startApiBuild(log: (line: string) => void): ApiBuild {
  let status: ApiStatus = { state: 'building' };
  const child: ChildProcess = fork(__filename, [], {
    cwd: ROOT,
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (m: ApiBuildMessage) => {
    status = m.ok ? { state: 'ready' } : { state: 'failed', reason: m.note ?? 'unknown error' };
  });
  child.on('error', (e) => {
    status = { state: 'failed', reason: e.message };
  });
  child.on('exit', (code, signal) => {
    if (status.state === 'building') status = { state: 'failed', reason: `the build stopped (${signal ?? code})` };
    if (status.state === 'failed') log(`API reference not built: ${status.reason}`);
  });
  return {
    status: () => status,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

async function runChild(): Promise<void> {
  // The server went away (stopped or killed): stop too, whatever TypeDoc is doing.
  process.on('disconnect', () => process.exit(1));
  const { build } = await import('./build');
  const [result] = await build({ steps: ['api'], log: (line) => console.log(line) });
  const message: ApiBuildMessage = { ok: result.note === undefined, note: result.note };
  process.send?.(message, () => process.exit(0));
}

if (require.main === module) {
  runChild().catch((e: unknown) => {
    process.send?.({ ok: false, note: e instanceof Error ? e.message : String(e) } satisfies ApiBuildMessage, () =>
      process.exit(1),
    );
  });
}

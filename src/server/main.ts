/**
 * `npm start`: build what changed (see build.ts), then serve the lesson site on PORT
 * (default 3000) at http://localhost:PORT. HOST defaults to 127.0.0.1; set HOST=0.0.0.0
 * to serve other machines.
 *
 * The API reference is built after the server listens, in a child process (api-build.ts), so a
 * first start serves the lessons without waiting for TypeDoc. SIGINT, SIGTERM and SIGHUP stop the
 * server, the child and every open connection, and free the port.
 */
import type * as http from 'node:http';
import { ALL_STEPS, build } from './build';
import { type ApiBuild, startApiBuild } from './api-build';
import { createApp, listen } from './app';
import { checkInt } from '../core/errors';

/** How long open requests get to finish after a stop signal before the process exits anyway. */
const STOP_GRACE_MS = 2000;

async function main(): Promise<void> {
  const port = checkInt('PORT', Number(process.env.PORT ?? 3000), 0, 65535);
  const host = process.env.HOST ?? '127.0.0.1';
  const log = (line: string) => console.log(line);
  const t0 = Date.now();
  await build({ steps: ALL_STEPS.filter((s) => s !== 'api'), log });
  console.log(
    `build finished in ${((Date.now() - t0) / 1000).toFixed(1)} s (the API reference follows in the background)`,
  );
  // Started once the port is ours (a port in use ends the start before any child exists).
  let api: ApiBuild | null = null;
  const server = await listen(createApp({ apiStatus: () => api?.status() ?? { state: 'building' } }), port, host);
  api = startApiBuild(log);
  stopOnSignals(server, api);
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  console.log(`gensparse lessons: http://${host === '127.0.0.1' ? 'localhost' : host}:${actual}/`);
}

/** The first stop signal closes everything; open connections (keep-alive, slow downloads) are cut. */
function stopOnSignals(server: http.Server, api: ApiBuild): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    api.stop();
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), STOP_GRACE_MS).unref();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
}

main().catch((e: unknown) => {
  const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
  const hint = inUse ? ' (is another server running there? PORT=<n> npm start picks another port)' : '';
  console.error(`npm start failed: ${e instanceof Error ? e.message : String(e)}${hint}`);
  process.exit(1);
});

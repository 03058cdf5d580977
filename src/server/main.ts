/**
 * `npm start`: build what changed (see build.ts), then serve the lesson site on PORT
 * (default 3000) at http://localhost:PORT. HOST defaults to 127.0.0.1; set HOST=0.0.0.0
 * to serve other machines.
 */
import { build } from './build';
import { createApp, listen } from './app';
import { checkInt } from '../base/errors';

async function main(): Promise<void> {
  const port = checkInt('PORT', Number(process.env.PORT ?? 3000), 0, 65535);
  const host = process.env.HOST ?? '127.0.0.1';
  const t0 = Date.now();
  await build({ log: (line) => console.log(line) });
  console.log(`build finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const server = await listen(createApp(), port, host);
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  console.log(`gensparse lessons: http://${host === '127.0.0.1' ? 'localhost' : host}:${actual}/`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`npm start failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

/**
 * The lesson site as an Express 5 app: the course index, one page per lesson, the kernel
 * benchmark page, the API reference and the built assets. `createApp()` builds nothing
 * and listens nowhere: `main.ts` runs the build and listens; tests listen on port 0.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { API_DIR, BUILD_DIR, LESSON_ID, PUBLIC_DIR, ROOT, VIEWS_DIR } from './paths';
import { experimentsRouter } from './experiments';
import { type Lesson, discoverLessons, lessonNarration } from './lessons';
import { API_CSP, methodGuard, pathGuard, securityHeaders } from './security';
import type { ApiStatus } from './api-build';

export interface AppOptions {
  /** Where lessons live (tests may point elsewhere). */
  lessonsDir?: string;
  /** Log one line per server error (default: console.error). */
  log?: (line: string) => void;
  /** How the background build of the API reference stands (main.ts); without it, /api is served if built. */
  apiStatus?: () => ApiStatus;
}

/** Seconds after which a page asking for the API reference during its first build reloads itself. */
export const API_RETRY_S = 5;

/** Request bodies are never needed; anything above this size is refused with 413. */
export const BODY_LIMIT = '16kb';

/** Is the kernel benchmark suite present (bench/kernel-suite.ts)? Decides whether /bench exists. */
export function hasBenchSuite(): boolean {
  return fs.existsSync(path.join(ROOT, 'bench', 'kernel-suite.ts'));
}

/** An error carrying the HTTP status to answer with. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createApp(options: AppOptions = {}): express.Express {
  const log = options.log ?? ((line: string) => console.error(line));
  const lessonsOf = () => discoverLessons(options.lessonsDir, log);
  const app = express();
  app.disable('x-powered-by');
  app.set('env', 'production');
  app.set('etag', 'strong');
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  app.set('query parser', 'simple');

  app.use(securityHeaders);
  app.use(pathGuard);
  // Only GET/HEAD are served, but a body still has to be read (and bounded) before answering.
  app.use(express.raw({ type: () => true, limit: BODY_LIMIT }));
  app.use(methodGuard);
  // Every page's header links the benchmark page when it exists.
  app.use((_req, res, next) => {
    res.locals.bench = hasBenchSuite();
    next();
  });

  const statics = { dotfiles: 'ignore' as const, index: false as const, redirect: false, fallthrough: true, maxAge: 0 };
  app.use('/assets', express.static(PUBLIC_DIR, statics));
  app.use('/api', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', API_CSP);
    next();
  });
  app.use('/api', express.static(API_DIR, { ...statics, index: 'index.html', redirect: true }));
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });

  app.get('/', (_req, res) => {
    const apiBuilt = fs.existsSync(API_DIR) || options.apiStatus?.().state === 'building';
    res.render('index', { title: 'gensparse: a course', lessons: lessonsOf(), apiBuilt });
  });

  app.get('/lessons/:id', (req, res, next) => {
    const id = String(req.params.id);
    const lessons = lessonsOf();
    const index = LESSON_ID.test(id) ? lessons.findIndex((l) => l.id === id) : -1;
    if (index < 0) return next(new HttpError(404, 'no such lesson'));
    const lesson = lessons[index];
    const narration = lessonNarration(lesson);
    const prev: Lesson | undefined = lessons[index - 1];
    const next_: Lesson | undefined = lessons[index + 1];
    const panelJs = lesson.hasPanel && lesson.status === 'ready' ? `/assets/build/js/panels/${lesson.id}.js` : '';
    res.render('lesson', { title: lesson.title, lesson, narration, prev, next: next_, panelJs });
  });

  app.get('/bench', (_req, res, next) => {
    if (!hasBenchSuite()) return next(new HttpError(404, 'no benchmark suite'));
    res.render('bench', { title: 'Kernel benchmarks | gensparse' });
  });

  // Not served by the static files above: while the first build runs, every /api page says so
  // (503, and the browser retries by itself); when it failed, the page says why.
  app.use('/api', (_req, res, next) => {
    const status = options.apiStatus?.();
    if (status === undefined || status.state === 'ready') return next();
    const building = status.state === 'building';
    res.status(building ? 503 : 500);
    if (building) {
      res.setHeader('Retry-After', String(API_RETRY_S));
      res.setHeader('Refresh', String(API_RETRY_S));
    }
    res.render('api-status', {
      title: building ? 'API reference: being built' : 'API reference: build failed',
      building,
      reason: status.reason ?? '',
      retryS: API_RETRY_S,
    });
  });

  app.use('/experiments', experimentsRouter());
  app.use((_req, _res, next) => next(new HttpError(404, 'not found')));

  // The last handler: a status and a short message, never a stack trace.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string };
    let status = e.status ?? e.statusCode ?? 500;
    if (!Number.isInteger(status) || status < 400 || status > 599) status = 500;
    if (status >= 500)
      log(`error ${req.method} ${req.path.slice(0, 200)}: ${(e.message ?? String(err)).split('\n')[0]}`);
    const message =
      status === 404
        ? 'Not found'
        : status === 413
          ? 'Request body too large'
          : status < 500
            ? 'Bad request'
            : 'Internal error';
    if (res.headersSent) return res.end();
    res.status(status);
    if (req.accepts(['html', 'text']) === 'html') {
      res.render(
        'error',
        { title: `${status} ${message}`, status, message, lessons: safeLessons(lessonsOf) },
        (renderErr, html) => {
          if (renderErr) res.type('text/plain').send(`${status} ${message}`);
          else res.type('html').send(html);
        },
      );
    } else {
      res.type('text/plain').send(`${status} ${message}`);
    }
  });
  return app;
}

function safeLessons(f: () => Lesson[]): Lesson[] {
  try {
    return f();
  } catch {
    return [];
  }
}

/** Timeouts and limits for the HTTP server itself (slow or oversized requests). */
export function hardenServer(server: http.Server): http.Server {
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  server.maxRequestsPerSocket = 1000;
  return server;
}

/** Starts the app on `port` (0 = any free port) and `host`; resolves once listening. */
export function listen(app: express.Express, port: number, host = '127.0.0.1'): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const server = http.createServer({ maxHeaderSize: 16 * 1024 }, app);
    hardenServer(server);
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export { BUILD_DIR };

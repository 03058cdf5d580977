/**
 * What a public site needs: security and cross-origin-isolation headers, a path filter in
 * front of every static folder, and limits on what a request may carry.
 *
 * Cross-origin isolation (COOP same-origin + COEP require-corp) lets the wasm backend use
 * SharedArrayBuffer threads; every asset we serve carries CORP same-origin so it may load.
 * The CSP allows wasm compilation ('wasm-unsafe-eval', not 'unsafe-eval') and the blob:
 * workers the threaded wasm backend starts; scripts come only from this origin.
 */
import type { NextFunction, Request, Response } from 'express';

/** The Content-Security-Policy sent with every response. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "style-src 'self'",
  // KaTeX's HTML sets heights with style attributes; no <style> elements or inline scripts are allowed.
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Header name -> value, set on every response (pages, assets, errors). */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'Origin-Agent-Cluster': '?1',
};

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  next();
}

/** The longest URL we accept (request line path + query). */
export const MAX_URL_LENGTH = 2048;

/**
 * Refuses paths that try to leave a folder: `..` segments, backslashes, NUL or control
 * characters, in the raw path or after decoding it once or twice (%2e%2e, %252e%252e),
 * and malformed percent-encoding. Answers 400 without reaching any route.
 */
export function isSafePath(rawPath: string): boolean {
  if (rawPath.length > MAX_URL_LENGTH || !rawPath.startsWith('/')) return false;
  let p = rawPath;
  for (let i = 0; i < 3; i++) {
    // eslint-disable-next-line no-control-regex
    if (/\\|[\u0000-\u001f\u007f]/.test(p)) return false;
    if (p.split('/').some((seg) => seg === '..' || seg === '.')) return false;
    if (!p.includes('%')) return true;
    try {
      p = decodeURIComponent(p);
    } catch {
      return false;
    }
  }
  return !p.includes('%2') && !p.includes('%5');
}

export function pathGuard(req: Request, res: Response, next: NextFunction): void {
  const raw = req.originalUrl || req.url || '';
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  if (raw.length > MAX_URL_LENGTH || !isSafePath(rawPath)) {
    res.status(400).type('text/plain').send('Bad request');
    return;
  }
  next();
}

/** Only GET and HEAD reach the site; other methods get 405 (after the body-size limit). */
export function methodGuard(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  res.setHeader('Allow', 'GET, HEAD');
  res.status(405).type('text/plain').send('Method not allowed');
}

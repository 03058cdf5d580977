/**
 * Where the site's files live. Everything the server reads or serves is resolved against
 * the repository root, so the server works from any working directory.
 */
import * as path from 'node:path';

/** The repository root (this file is src/server/paths.ts). */
export const ROOT = path.resolve(__dirname, '..', '..');
/** Lesson folders: lessons/<id>/{lesson.json, narration.md, panel.ts, script.ts}. */
export const LESSONS_DIR = path.join(ROOT, 'lessons');
/** EJS templates. */
export const VIEWS_DIR = path.join(ROOT, 'views');
/** Hand-written static assets (served under /assets). */
export const PUBLIC_DIR = path.join(ROOT, 'public');
/** Generated output of `build.ts` (git-ignored): js bundles, wasm, KaTeX, data, api. */
export const BUILD_DIR = path.join(PUBLIC_DIR, 'build');
/** The generated API reference (TypeDoc), served under /api. */
export const API_DIR = path.join(BUILD_DIR, 'api');

/** A lesson id: lowercase letters, digits and single dashes, 1-40 characters. */
export const LESSON_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** True when `child` is `parent` or lies inside it (after resolving `..`). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Lesson discovery: every folder under lessons/ with a valid lesson.json is a lesson.
 * Adding a lesson means adding a folder; nothing else is registered anywhere.
 *
 *   lessons/<id>/lesson.json   {"id", "title", "order": 1..9, "summary", "status": "ready" | "coming"}
 *   lessons/<id>/narration.md  steps (see markdown.ts)
 *   lessons/<id>/experiment.ts the one experiment (src/lesson/experiment.ts) that the page and the script drive
 *   lessons/<id>/panel.ts      optional: what the page loads (default: experiment.ts)
 *   lessons/<id>/script.ts     the Node run of the experiment: `npm run lesson -- <id>`
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LESSONS_DIR, LESSON_ID } from './paths';
import { type RenderedNarration, renderNarration } from './markdown';

export interface LessonMeta {
  id: string;
  title: string;
  order: number;
  summary: string;
  status: 'ready' | 'coming';
}

export interface Lesson extends LessonMeta {
  dir: string;
  hasNarration: boolean;
  hasPanel: boolean;
  hasScript: boolean;
}

/** Parses and validates one lesson.json; throws naming the field at fault. */
export function parseLessonMeta(text: string, folder: string): LessonMeta {
  const j = JSON.parse(text) as Partial<LessonMeta>;
  const need = (ok: boolean, field: string, want: string) => {
    if (!ok) throw new Error(`lessons/${folder}/lesson.json: '${field}' must be ${want}`);
  };
  need(j.id === folder, 'id', `the folder name '${folder}'`);
  need(typeof j.title === 'string' && j.title.length > 0, 'title', 'a non-empty string');
  need(Number.isInteger(j.order) && j.order! >= 1 && j.order! <= 99, 'order', 'an integer in [1, 99]');
  need(typeof j.summary === 'string', 'summary', 'a string');
  need(j.status === 'ready' || j.status === 'coming', 'status', "'ready' or 'coming'");
  return { id: j.id!, title: j.title!, order: j.order!, summary: j.summary!, status: j.status! };
}

/** All lessons, sorted by order. Folders with a missing or invalid lesson.json are reported to `warn` and skipped. */
export function discoverLessons(dir = LESSONS_DIR, warn: (msg: string) => void = () => {}): Lesson[] {
  if (!fs.existsSync(dir)) return [];
  const lessons: Lesson[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const ldir = path.join(dir, name);
    if (!LESSON_ID.test(name) || !fs.statSync(ldir).isDirectory()) continue;
    const metaFile = path.join(ldir, 'lesson.json');
    if (!fs.existsSync(metaFile)) continue;
    try {
      const meta = parseLessonMeta(fs.readFileSync(metaFile, 'utf8'), name);
      const has = (f: string) => fs.existsSync(path.join(ldir, f));
      lessons.push({
        ...meta,
        dir: ldir,
        hasNarration: has('narration.md'),
        hasPanel: has('panel.ts') || has('experiment.ts'),
        hasScript: has('script.ts'),
      });
    } catch (e) {
      warn(`skipping lesson '${name}': ${(e as Error).message}`);
    }
  }
  return lessons.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

const cache = new Map<string, { key: string; value: RenderedNarration }>();

/**
 * The rendered narration of a lesson, re-rendered when the narration or any quoted source
 * file changes (so an edit to src/ shows on the next page load).
 */
export function lessonNarration(lesson: Lesson): RenderedNarration {
  const file = path.join(lesson.dir, 'narration.md');
  if (!lesson.hasNarration) return { intro: '', steps: [], sources: [] };
  const hit = cache.get(lesson.id);
  const key = (files: string[]) => files.map((f) => `${f}:${fs.statSync(f).mtimeMs}`).join('|');
  if (hit) {
    const files = [file, ...hit.value.sources.map((s) => path.resolve(LESSONS_DIR, '..', s.file))];
    try {
      if (key(files) === hit.key) return hit.value;
    } catch {
      /* a file vanished: re-render */
    }
  }
  const value = renderNarration(fs.readFileSync(file, 'utf8'));
  const files = [file, ...value.sources.map((s) => path.resolve(LESSONS_DIR, '..', s.file))];
  cache.set(lesson.id, { key: key(files), value });
  return value;
}

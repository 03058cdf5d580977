/**
 * `npm run lesson -- <id> [--quick] [--out DIR] [--seed N]` runs a lesson's Node experiment
 * (lessons/<id>/script.ts), which trains with a progress bar and writes PNG plots; this CLI
 * picks the backend, prints the key numbers the script returns and writes them to
 * DIR/metrics.json (DIR defaults to out/<id>). `npm run lesson -- --list` lists the lessons.
 *
 * Script contract (lessons/<id>/script.ts): a default export of type `LessonScript`
 * (src/lesson/node.ts): run(opts: LessonScriptOptions) => Promise<Record<string, number>>.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeBackend } from '../core/backend';
import { initBackend } from '../core/backend-node';
import { writeFileAtomic } from '../core/checkpoint';
import { didYouMean } from '../cli/suggest';
import type { LessonScript, LessonScriptOptions } from '../lesson/node';
import { discoverLessons } from './lessons';
import { LESSONS_DIR, LESSON_ID, ROOT } from './paths';

export type { LessonScript, LessonScriptOptions } from '../lesson/node';

export interface CliArgs {
  list: boolean;
  help: boolean;
  id?: string;
  quick: boolean;
  out?: string;
  seed: number;
}

export const USAGE = 'usage: npm run lesson -- <id> [--quick] [--out DIR] [--seed N]\n       npm run lesson -- --list';

/** Parses the CLI arguments; throws an Error with a one-line reason on bad input. */
export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { list: false, help: false, quick: false, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--list') args.list = true;
    else if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--quick') args.quick = true;
    else if (a === '--out') args.out = value();
    else if (a === '--seed') {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > 2 ** 32 - 1)
        throw new Error(`--seed must be an integer in [0, ${2 ** 32 - 1}], got ${v}`);
      args.seed = n;
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (args.id === undefined) args.id = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (args.id !== undefined && !LESSON_ID.test(args.id))
    throw new Error(`'${args.id}' is not a lesson id (lowercase letters, digits, dashes)`);
  return args;
}

/** Loads lessons/<id>/script.ts and returns its default export. */
export function loadLessonScript(id: string, lessonsDir = LESSONS_DIR): LessonScript {
  const file = path.join(lessonsDir, id, 'script.ts');
  if (!fs.existsSync(file)) throw new Error(`lesson '${id}' has no script.ts`);
  const mod = require(file) as { default?: LessonScript };
  if (typeof mod.default !== 'function') throw new Error(`lessons/${id}/script.ts has no default export function`);
  return mod.default;
}

/**
 * Runs one lesson script into `outDir` and writes `metrics.json` there. Returns the metrics
 * and the files the script wrote. Throws if a metric is not a finite number.
 */
export async function runLesson(
  id: string,
  opts: LessonScriptOptions,
  lessonsDir = LESSONS_DIR,
): Promise<{ metrics: Record<string, number>; files: string[]; seconds: number }> {
  const script = loadLessonScript(id, lessonsDir);
  fs.mkdirSync(opts.outDir, { recursive: true });
  const t0 = Date.now();
  const metrics = await script(opts);
  const seconds = (Date.now() - t0) / 1000;
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`lesson '${id}' returned a non-finite metric ${k} = ${String(v)}`);
  }
  writeFileAtomic(
    path.join(opts.outDir, 'metrics.json'),
    `${JSON.stringify({ lesson: id, quick: opts.quick, seed: opts.seed, seconds, metrics }, null, 2)}\n`,
  );
  const files = fs.readdirSync(opts.outDir).sort();
  return { metrics, files, seconds };
}

function formatValue(v: number): string {
  const a = Math.abs(v);
  if (Number.isInteger(v)) return String(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : v.toFixed(a >= 100 ? 2 : 4);
}

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const lessons = discoverLessons(LESSONS_DIR, (m) => console.error(m));
  if (args.help || (!args.list && !args.id)) {
    console.log(USAGE);
    return args.help ? 0 : 2;
  }
  if (args.list) {
    for (const l of lessons) {
      const what = l.hasScript ? 'script' : 'no script yet';
      console.log(
        `${String(l.order).padStart(2)}  ${l.id.padEnd(16)} ${l.status.padEnd(7)} ${what.padEnd(14)} ${l.title}`,
      );
    }
    return 0;
  }
  const id = args.id!;
  const lesson = lessons.find((l) => l.id === id);
  if (!lesson) {
    const known = lessons.map((l) => l.id);
    console.error(`no lesson '${id}'${didYouMean(id, known)}; run npm run lesson -- --list`);
    return 2;
  }
  if (!lesson.hasScript) {
    console.error(`lesson '${id}' (${lesson.status}) has no script yet`);
    return 2;
  }
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'out', id));
  // Echo the folder as the user gave it (an absolute path stays absolute); the default relative to here.
  const shownOut = args.out ?? (path.relative(process.cwd(), outDir) || '.');
  const report = await initBackend();
  console.log(`lesson ${lesson.order}: ${lesson.title}${args.quick ? ' (quick)' : ''}`);
  console.log(describeBackend(report));
  console.log(`seed ${args.seed}, output ${shownOut}`);
  const { metrics, files, seconds } = await runLesson(id, {
    quick: args.quick,
    outDir,
    seed: args.seed,
    log: (line) => console.log(line),
  });
  console.log('\nkey numbers:');
  const width = Math.max(...Object.keys(metrics).map((k) => k.length), 4);
  for (const [k, v] of Object.entries(metrics)) console.log(`  ${k.padEnd(width)}  ${formatValue(v)}`);
  console.log(`\nwrote ${files.length} files to ${shownOut}: ${files.join(', ')}`);
  console.log(`done in ${seconds.toFixed(1)} s`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`lesson failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}

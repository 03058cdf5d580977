/**
 * Choosing a tfjs backend: try the candidates fastest first, keep the first that loads,
 * and say why each faster one was skipped (one line each, not a stack trace).
 *
 *   Node:    node-gpu (@tensorflow/tfjs-node-gpu), node (@tensorflow/tfjs-node), wasm, cpu
 *   browser: webgpu, webgl, wasm, cpu
 *
 * `GENSPARSE_BACKEND=<name>` (Node) or `?backend=<name>` (a lesson's URL) forces one.
 * The candidate lists themselves live in `backend-node.ts` and `backend-browser.ts`,
 * so the browser bundle never sees Node's `require`.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from './errors';

/** The browser candidates, fastest first (`initBrowserBackend` in backend-browser.ts loads them). */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** A backend we may try: `load()` registers and activates it (returning facts for the report), or throws why not. */
export interface BackendCandidate {
  name: string;
  load(): Promise<void | string[]>;
}

export interface BackendReport {
  /** Our name for the chosen backend ('wasm', 'node', ...). */
  name: string;
  /** tfjs's name for it (`tf.getBackend()`: 'wasm', 'tensorflow', ...). */
  tfName: string;
  /** The faster candidates that did not load, and why. */
  skipped: { name: string; reason: string }[];
  /** Extra facts worth printing (wasm threads and SIMD, the WebGPU adapter, ...). */
  details: string[];
}

/**
 * Loads the first candidate that works. With `force`, loads only that one and throws if
 * it fails; an unknown name throws a ConfigError listing the known ones.
 */
export async function selectBackend(candidates: BackendCandidate[], force?: string): Promise<BackendReport> {
  const skipped: { name: string; reason: string }[] = [];
  const names = candidates.map((c) => c.name);
  let order = candidates;
  if (force !== undefined && force !== '') {
    const forced = candidates.find((c) => c.name === force);
    if (!forced) throw new ConfigError('backend', `unknown backend '${force}'; choose one of ${names.join(', ')}`);
    order = [forced];
  }
  for (const c of order) {
    try {
      const details = await c.load();
      await tf.ready();
      return { name: c.name, tfName: tf.getBackend(), skipped, details: details ?? [] };
    } catch (e) {
      skipped.push({ name: c.name, reason: oneLine(e) });
      if (force) throw new ConfigError('backend', `forced backend '${force}' failed to load: ${oneLine(e)}`);
    }
  }
  throw new Error(`no backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * A report as lines a person can read: `backend: wasm (SIMD, 2 threads, ...)`. Faster candidates
 * that are simply not installed (an optional package) share one short clause on that line; any
 * other failure gets its own `  skipped node: <reason>` line.
 */
export function describeBackend(report: BackendReport): string {
  const absent = report.skipped.filter((s) => NOT_INSTALLED.test(s.reason)).map((s) => s.name);
  const details = [...report.details];
  if (absent.length) details.push(`${absent.join(' and ')} not installed`);
  const lines = [`backend: ${report.name}${details.length ? ` (${details.join(', ')})` : ''}`];
  for (const s of report.skipped) if (!absent.includes(s.name)) lines.push(`  skipped ${s.name}: ${s.reason}`);
  return lines.join('\n');
}

/** How Node (and bundlers) say an optional package is absent. */
const NOT_INSTALLED = /Cannot find module|MODULE_NOT_FOUND|Could not resolve/;

/** Activates a registered tfjs backend, throwing (rather than returning false) on failure. */
export async function switchBackend(tfName: string): Promise<void> {
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`tf.setBackend('${tfName}') returned false`);
}

/** The first line of an error's message, at most 200 characters (a reason, not a stack trace). */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

/**
 * Every architecture of the family, registered (registry.ts), and the lookups. The list below is
 * the only list of architectures in the package: adding one is one import line here. The lookups
 * are exported from this module only, so no caller can look an architecture up before all of
 * them have registered, whatever order it imports things in.
 */
import { ConfigError } from '../base/errors';
import { type RegisteredArchitecture, type SaeArchitecture, registeredEntries } from './registry';
import './relu-l1';
import './topk';
import './batch-topk';
import './jumprelu';
import './matryoshka';
import './matryoshka-batch-topk';
import './gated';
import './transcoder';

/** Every registered architecture, in registration order. */
export function saeArchitectures(): RegisteredArchitecture[] {
  return registeredEntries();
}

/** The names of every registered architecture ('relu-l1', 'topk', ...). */
export function saeArchitectureNames(): SaeArchitecture[] {
  return registeredEntries().map((e) => e.name as SaeArchitecture);
}

/** The registered architecture called `name`, or undefined. */
export function findSaeArchitecture(name: unknown): RegisteredArchitecture | undefined {
  return registeredEntries().find((e) => e.name === name);
}

/** The registered architecture called `name`; a ConfigError listing the registered names otherwise. */
export function saeArchitecture(name: unknown): RegisteredArchitecture {
  const entry = findSaeArchitecture(name);
  if (entry) return entry;
  const names = saeArchitectureNames()
    .map((a) => `'${a}'`)
    .join(', ');
  throw new ConfigError('architecture', `must be one of ${names}, got '${String(name)}'`);
}

/**
 * SAELens architecture names that are not ours, each with the architecture it reads as: a folder
 * name ('standard' -> 'relu-l1') or a training-config name ('batchtopk' -> 'batch-topk').
 */
export function saeLensOnlyNames(): Record<string, SaeArchitecture> {
  const ours = new Set<string>(saeArchitectureNames());
  const out: Record<string, SaeArchitecture> = {};
  for (const e of registeredEntries()) {
    const names = [e.saeLens.readFolder ? e.saeLens.architecture : null, e.saeLens.trainingConfig?.architecture];
    for (const n of names) if (n && !ours.has(n) && !(n in out)) out[n] = e.name as SaeArchitecture;
  }
  return out;
}

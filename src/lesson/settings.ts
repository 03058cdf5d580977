/**
 * A lesson experiment's settings: their specs, and the pure parsing shared by the page (URL,
 * controls, "Try it" buttons) and the Node script. No DOM here.
 *
 * Every setting lives in the page URL (seed included), so a link reproduces a run, as in
 * TensorFlow Playground's `state.ts`. A missing value takes the default; an invalid one takes
 * the default and is reported (never silently clamped).
 */

/** One setting. `number` and `int` settings with `slider` are drawn as range sliders. */
export type SettingSpec =
  | {
      kind: 'int';
      label: string;
      default: number;
      min: number;
      max: number;
      help?: string;
      /** Draw as a slider (default: a number box); `log` spaces its positions geometrically. */
      slider?: 'linear' | 'log';
    }
  | {
      kind: 'number';
      label: string;
      default: number;
      min: number;
      max: number;
      help?: string;
      slider?: 'linear' | 'log';
    }
  | { kind: 'choice'; label: string; default: string; options: readonly string[]; help?: string }
  | { kind: 'bool'; label: string; default: boolean; help?: string };

export type SettingSpecs = Record<string, SettingSpec>;
export type SettingValue = number | string | boolean;

/** The values of an experiment's settings, typed from their specs. */
export type SettingValues<S extends SettingSpecs> = {
  [K in keyof S]: S[K] extends { kind: 'choice' } ? string : S[K] extends { kind: 'bool' } ? boolean : number;
};

/** The seed setting every experiment has (a link with ?seed=N reproduces the run). */
export function seedSetting(def = 1): SettingSpec {
  return { kind: 'int', label: 'seed', default: def, min: 0, max: 2 ** 31 - 1 };
}

/** The defaults of every setting. */
export function defaultSettings<S extends SettingSpecs>(specs: S): SettingValues<S> {
  const out: Record<string, SettingValue> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = spec.default;
  return out as SettingValues<S>;
}

/** Parses one raw (URL or control) value; undefined when out of range or malformed. */
export function parseSetting(spec: SettingSpec, raw: string): SettingValue | undefined {
  switch (spec.kind) {
    case 'int': {
      const v = Number(raw);
      return raw.trim() !== '' && Number.isInteger(v) && v >= spec.min && v <= spec.max ? v : undefined;
    }
    case 'number': {
      const v = Number(raw);
      return raw.trim() !== '' && Number.isFinite(v) && v >= spec.min && v <= spec.max ? v : undefined;
    }
    case 'choice':
      return spec.options.includes(raw) ? raw : undefined;
    case 'bool':
      return raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : undefined;
  }
}

/** What a setting accepts, in words ("an integer in [1, 8]"). */
export function describeSpec(spec: SettingSpec): string {
  if (spec.kind === 'choice') return `one of ${spec.options.join(', ')}`;
  if (spec.kind === 'bool') return 'true or false';
  return `${spec.kind === 'int' ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}]`;
}

/** A value as it is written in a URL (booleans as 1/0). */
export function formatSetting(value: SettingValue): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

/**
 * Reads settings from a query string. Unknown keys (e.g. `backend`) are ignored; a missing
 * value takes the default; an invalid one takes the default and adds a problem naming it.
 */
export function readSettings<S extends SettingSpecs>(
  specs: S,
  search: string,
): { values: SettingValues<S>; problems: string[] } {
  const q = new URLSearchParams(search);
  const values: Record<string, SettingValue> = defaultSettings(specs);
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const raw = q.get(name);
    if (raw === null) continue;
    const v = parseSetting(spec, raw);
    if (v === undefined)
      problems.push(`${name}=${raw.slice(0, 30)} is not ${describeSpec(spec)}; using ${spec.default}`);
    else values[name] = v;
  }
  return { values: values as SettingValues<S>, problems };
}

/** The query string of `values` (every setting, in spec order), plus `extra` pairs first (e.g. backend). */
export function settingsQuery<S extends SettingSpecs>(
  specs: S,
  values: SettingValues<S>,
  extra: Record<string, string> = {},
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  for (const name of Object.keys(specs)) q.set(name, formatSetting((values as Record<string, SettingValue>)[name]));
  return q.toString();
}

/**
 * Parses `name=value` pairs separated by spaces (a "Try it" directive's body:
 * `k=8 tied=false`). Throws an Error naming the first unknown name or invalid value, so a
 * narration with a wrong directive fails loudly (at render time in the server, in tests).
 */
export function parseAssignments<S extends SettingSpecs>(specs: S, text: string): Partial<SettingValues<S>> {
  const out: Record<string, SettingValue> = {};
  for (const pair of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([A-Za-z_][\w]*)=(\S+)$/.exec(pair);
    if (!m) throw new Error(`'${pair}' is not name=value`);
    const spec = specs[m[1]];
    if (!spec) throw new Error(`'${m[1]}' is not a setting (settings: ${Object.keys(specs).join(', ')})`);
    const v = parseSetting(spec, m[2]);
    if (v === undefined) throw new Error(`${m[1]}=${m[2]}: must be ${describeSpec(spec)}`);
    out[m[1]] = v;
  }
  return out as Partial<SettingValues<S>>;
}

/**
 * A short label of the settings that differ from the defaults ("k=8, tied=false"), for a ghost
 * run's legend entry; "defaults" when none differ. The seed is listed like any other setting.
 */
export function settingsLabel<S extends SettingSpecs>(specs: S, values: SettingValues<S>): string {
  const parts: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const v = (values as Record<string, SettingValue>)[name];
    if (v !== spec.default) parts.push(`${name}=${typeof v === 'boolean' ? String(v) : v}`);
  }
  return parts.length ? parts.join(', ') : 'defaults';
}

/** Slider position in [0, 1] of a value, and back (log sliders space positions geometrically). */
export function sliderPosition(spec: SettingSpec, value: number): number {
  if (spec.kind !== 'int' && spec.kind !== 'number') return 0;
  if (spec.slider === 'log' && spec.min > 0) return Math.log(value / spec.min) / Math.log(spec.max / spec.min);
  return (value - spec.min) / (spec.max - spec.min);
}

/** The value at slider position `t` in [0, 1], rounded to 3 significant digits (integers for `int`). */
export function sliderValue(spec: SettingSpec, t: number): number {
  if (spec.kind !== 'int' && spec.kind !== 'number') return 0;
  const u = Math.min(1, Math.max(0, t));
  const raw =
    spec.slider === 'log' && spec.min > 0
      ? spec.min * (spec.max / spec.min) ** u
      : spec.min + u * (spec.max - spec.min);
  const v = spec.kind === 'int' ? Math.round(raw) : Number(raw.toPrecision(3));
  return Math.min(spec.max, Math.max(spec.min, v));
}

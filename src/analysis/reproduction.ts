/**
 * The reproduction table: one row per published claim, with our setting, our number as a mean and
 * 95% interval over seeds, the untrained baseline of the same metric, and a verdict that follows
 * one explicit rule (`verdictOf`). Experiments put their rows in their report.json
 * (`reproduction`, experiments/report.ts); docs/results.md (`npm run experiment -- --reproduction`) and
 * the /experiments page render the same cells (`reproductionCells`).
 *
 * The verdict rule, in order:
 * 0. inconclusive when the claim compares two arms at matched L0 and their held-out L0s differ by
 *    more than `MATCHED_L0_TOLERANCE` (the comparison is not the one the claim is about);
 * 1. inconclusive when our interval overlaps the untrained baseline's (the metric does not yet
 *    separate the trained SAE from its initialisation);
 * 2. inconclusive when the claim compares two arms and their intervals overlap;
 * 3. otherwise the claim's relation (ours greater or less than the comparison arm, the baseline or
 *    a number) decides: reproduced when it holds with the whole interval on the claimed side,
 *    not reproduced when it is violated (with the measured reason the experiment states), and
 *    inconclusive when the interval contains the number.
 */
import { InputError } from '../base/errors';
import type { MeanInterval } from './stats';

/** What our setting was: sizes, samples seen, learning rate, seeds. */
export interface ReproductionSetting {
  /** e.g. "d = 64, 1,024 true features, n = 256 latents, k = 5". */
  sizes: string;
  /** Training inputs seen per run. */
  samplesSeen: number;
  /** Learning rate (or a description: "2e-4 / sqrt(n / 2^14)"). */
  lr: number | string;
  /** The seeds of the runs behind our interval. */
  seeds: number[];
}

/** What the claim says of our number: greater or less than the comparison arm, the baseline or a value. */
export interface ReproductionExpectation {
  relation: 'greater' | 'less';
  than: 'comparison' | 'baseline' | number;
}

/** One published claim and what we measured. */
export interface ReproductionRow {
  /** The claim in a sentence, e.g. "tied init leaves fewer dead latents than untied". */
  claim: string;
  /** Authors, year, section: "Gao et al. 2024, App. C.1". */
  source: string;
  /** The published number as the paper states it, e.g. "~7% dead at 16M latents". */
  published: string;
  /** The metric our numbers are in, e.g. "dead fraction". */
  metric: string;
  setting: ReproductionSetting;
  /** Our number over the seeds (at least 3). */
  ours: MeanInterval;
  /** The other arm of a comparative claim (e.g. untied init), over the same seeds. */
  comparison?: MeanInterval;
  /** Label of the comparison arm, e.g. "untied". */
  comparisonLabel?: string;
  /** The untrained (random-decoder) baseline of the same metric, or null where none exists (say why in `note`). */
  baseline: MeanInterval | null;
  expect: ReproductionExpectation;
  /**
   * For a claim at matched L0: the held-out L0 (mean over seeds) of our arm and of the comparison
   * arm. Rule 0 reads it.
   */
  l0?: { ours: number; comparison: number };
  /** The measured reason, required when the verdict is 'not reproduced'. */
  reason?: string;
  /** Anything else a reader needs (e.g. why there is no baseline). */
  note?: string;
}

export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive';

/** Least seeds behind an interval in the table. */
export const MIN_SEEDS = 3;

/** Two arms are at matched L0 when their L0s differ by at most this fraction of the smaller one. */
export const MATCHED_L0_TOLERANCE = 0.2;

const overlaps = (a: MeanInterval, b: MeanInterval) => a.lo <= b.hi && b.lo <= a.hi;
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(3));
const interval = (m: MeanInterval) => `${fmt(m.mean)} [${fmt(m.lo)}, ${fmt(m.hi)}]`;

/** Throws an InputError naming the first field of `row` that the table cannot show honestly. */
export function checkRow(row: ReproductionRow, at = 'row'): void {
  for (const field of ['claim', 'source', 'published', 'metric'] as const)
    if (typeof row[field] !== 'string' || !row[field].trim())
      throw new InputError(`${at}.${field}`, 'must be non-empty text');
  if (!row.ours || !(row.ours.n >= MIN_SEEDS))
    throw new InputError(`${at}.ours`, `needs an interval over at least ${MIN_SEEDS} seeds, got ${row.ours?.n}`);
  if (row.setting.seeds.length !== row.ours.n)
    throw new InputError(`${at}.setting.seeds`, `lists ${row.setting.seeds.length} seeds, the interval ${row.ours.n}`);
  if (row.expect.than === 'comparison' && !row.comparison)
    throw new InputError(`${at}.comparison`, 'is missing, and the expectation compares against it');
  if (row.expect.than === 'baseline' && !row.baseline)
    throw new InputError(`${at}.baseline`, 'is missing, and the expectation compares against it');
  if (row.baseline === null && !row.note?.trim())
    throw new InputError(`${at}.note`, 'must say why the row has no untrained baseline');
  if (row.l0) {
    if (!row.comparison) throw new InputError(`${at}.l0`, 'compares L0s, and the row has no comparison arm');
    for (const arm of ['ours', 'comparison'] as const)
      if (!(row.l0[arm] > 0 && Number.isFinite(row.l0[arm])))
        throw new InputError(`${at}.l0.${arm}`, `must be a finite L0 > 0, got ${row.l0[arm]}`);
  }
}

/** The verdict of `row` by the rule above, with the reason shown beside it. */
export function verdictOf(row: ReproductionRow): { verdict: Verdict; reason: string } {
  checkRow(row);
  const { ours, baseline, comparison } = row;
  if (row.l0) {
    const [a, b] = [row.l0.ours, row.l0.comparison];
    if (Math.abs(a - b) > MATCHED_L0_TOLERANCE * Math.min(a, b))
      return {
        verdict: 'inconclusive',
        reason:
          `not at matched L0: held-out L0 ${fmt(a)} against ${row.comparisonLabel ?? 'the comparison'}'s ` +
          `${fmt(b)}, more than ${100 * MATCHED_L0_TOLERANCE}% apart`,
      };
  }
  if (baseline && overlaps(ours, baseline))
    return { verdict: 'inconclusive', reason: `our interval overlaps the untrained baseline ${interval(baseline)}` };
  if (comparison && overlaps(ours, comparison))
    return {
      verdict: 'inconclusive',
      reason: `our interval overlaps ${row.comparisonLabel ?? 'the comparison'}'s ${interval(comparison)}`,
    };
  const { relation, than } = row.expect;
  const target = than === 'comparison' ? comparison! : than === 'baseline' ? baseline! : than;
  const [lo, hi, label] =
    typeof target === 'number'
      ? [target, target, fmt(target)]
      : [
          target.lo,
          target.hi,
          `${than === 'comparison' ? (row.comparisonLabel ?? 'the comparison') : 'the baseline'} ${interval(target)}`,
        ];
  const holds = relation === 'greater' ? ours.lo > hi : ours.hi < lo;
  const violated = relation === 'greater' ? ours.hi < lo : ours.lo > hi;
  if (holds) return { verdict: 'reproduced', reason: `ours ${interval(ours)} is ${relation} than ${label}` };
  if (violated) {
    const measured = `ours ${interval(ours)} is ${relation === 'greater' ? 'less' : 'greater'} than ${label}`;
    return { verdict: 'not reproduced', reason: row.reason?.trim() ? `${measured}: ${row.reason.trim()}` : measured };
  }
  return { verdict: 'inconclusive', reason: `our interval contains ${label}` };
}

/** The cells of one row as text, in table order (the markdown and the HTML render these). */
export function reproductionCells(row: ReproductionRow): string[] {
  const { verdict, reason } = verdictOf(row);
  const s = row.setting;
  const ours = row.comparison
    ? `${interval(row.ours)} vs ${row.comparisonLabel ?? 'comparison'} ${interval(row.comparison)}`
    : interval(row.ours);
  return [
    row.claim,
    row.source,
    row.published,
    `${s.sizes}; ${s.samplesSeen.toLocaleString('en-US')} samples; lr ${s.lr}; seeds ${s.seeds.join(', ')}`,
    `${row.metric}: ${ours}`,
    row.baseline ? interval(row.baseline) : `none (${row.note})`,
    `${verdict} (${reason})`,
  ];
}

/** Column headers of the table. */
export const REPRODUCTION_HEADERS = [
  'claim',
  'source',
  'published',
  'our setting',
  'ours: mean [95% interval]',
  'untrained baseline',
  'verdict',
] as const;

/** The table as markdown (pipes in cell text escaped). */
export function reproductionMarkdown(rows: ReproductionRow[]): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;
  return [
    line(REPRODUCTION_HEADERS),
    line(REPRODUCTION_HEADERS.map(() => '---')),
    ...rows.map((r) => line(reproductionCells(r))),
  ].join('\n');
}

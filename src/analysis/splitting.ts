/**
 * Feature splitting across dictionary sizes, and stitching (Bricken et al. 2023 "Towards
 * Monosemanticity", feature splitting; Bussmann & Leask 2024, "Showing SAE latents are not
 * atomic using meta-SAEs" / "Stitching SAEs of different sizes": in a larger SAE ~65% of latents
 * match or split a smaller SAE's latents, ~35% are new).
 *
 * Matching: each latent j of the larger SAE is compared by decoder cosine with every latent of
 * the smaller one; its parent is the most similar, p(j) = argmax_i cos(d_j, d_i).
 * Classification with a threshold tau:
 *   new    cos(d_j, d_p(j)) < tau (nothing in the smaller SAE points its way);
 *   match  j is the only latent with parent p(j) above tau (the same feature again);
 *   split  several latents share the parent p(j) above tau (the parent's feature split up).
 * The three fractions sum to one.
 *
 * Stitching: a dictionary assembled from several widths. Walking from the smallest width down,
 * a latent with one child (a match) is followed to that child; a latent whose children are
 * distinct (every pairwise cosine below `distinctCos`) is replaced by them (recursively); a
 * latent whose children are near-copies of each other (split too finely) is kept; a latent
 * with no children is kept; latents new at a width start their own walk there.
 */
import { ConfigError, InputError, checkInt, checkNumber } from '../base/errors';

/** One SAE's decoder: rows [n, D] row-major. */
export interface Decoder {
  rows: Float32Array;
  n: number;
}

/** Cosine of rows a (of A) and b (of B), float64. */
function rowCosine(A: Float32Array, a: number, B: Float32Array, b: number, D: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let c = 0; c < D; c++) {
    const u = A[a * D + c];
    const v = B[b * D + c];
    dot += u * v;
    na += u * u;
    nb += v * v;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

function checkDecoder(name: string, d: Decoder, D: number): void {
  checkInt(`${name}.n`, d.n, 1);
  if (d.rows.length !== d.n * D) throw new InputError(`${name}.rows`, `length ${d.rows.length} is not ${d.n} x ${D}`);
}

/** For each latent of `child`, its most similar latent of `parent` by decoder cosine, and that cosine. */
export function bestParents(child: Decoder, parent: Decoder, D: number): { parent: Int32Array; cosine: Float64Array } {
  checkInt('D', D, 1);
  checkDecoder('child', child, D);
  checkDecoder('parent', parent, D);
  const best = new Int32Array(child.n);
  const cosine = new Float64Array(child.n).fill(Number.NEGATIVE_INFINITY);
  for (let j = 0; j < child.n; j++) {
    for (let i = 0; i < parent.n; i++) {
      const c = rowCosine(child.rows, j, parent.rows, i, D);
      if (c > cosine[j]) {
        cosine[j] = c;
        best[j] = i;
      }
    }
  }
  return { parent: best, cosine };
}

export const SPLIT_KINDS = ['match', 'split', 'new'] as const;
export type SplitKind = (typeof SPLIT_KINDS)[number];

/** Classifies each child latent as match, split or new (module comment); fractions sum to one. */
export function classifySplits(
  match: { parent: Int32Array; cosine: Float64Array },
  tau: number,
): { kind: SplitKind[]; fractions: Record<SplitKind, number>; childrenOf: Map<number, number[]> } {
  checkNumber('tau', tau, { min: -1, max: 1 });
  const childrenOf = new Map<number, number[]>();
  match.parent.forEach((p, j) => {
    if (match.cosine[j] >= tau) childrenOf.set(p, [...(childrenOf.get(p) ?? []), j]);
  });
  const kind = Array.from(
    match.parent,
    (p, j): SplitKind => (match.cosine[j] < tau ? 'new' : (childrenOf.get(p)?.length ?? 0) > 1 ? 'split' : 'match'),
  );
  const n = kind.length;
  const fractions = Object.fromEntries(SPLIT_KINDS.map((k) => [k, kind.filter((v) => v === k).length / n])) as Record<
    SplitKind,
    number
  >;
  return { kind, fractions, childrenOf };
}

/** A latent of one of the stitched SAEs: `level` indexes the widths (0 = smallest). */
export interface StitchedLatent {
  level: number;
  index: number;
}

/**
 * The stitched dictionary (module comment) from decoders ordered by increasing width.
 * @param tau the match threshold of `classifySplits`
 * @param distinctCos children whose pairwise cosines are all below this are kept instead of their parent
 */
export function stitch(levels: Decoder[], D: number, tau: number, distinctCos: number): StitchedLatent[] {
  if (levels.length < 1) throw new ConfigError('levels', 'needs at least one decoder');
  checkNumber('distinctCos', distinctCos, { min: -1, max: 1 });
  levels.forEach((d, l) => checkDecoder(`levels[${l}]`, d, D));
  const links = levels.slice(1).map((child, l) => classifySplits(bestParents(child, levels[l], D), tau));
  const out: StitchedLatent[] = [];
  const walk = (level: number, index: number): void => {
    const children = level < links.length ? (links[level].childrenOf.get(index) ?? []) : [];
    if (children.length === 1) {
      walk(level + 1, children[0]);
      return;
    }
    if (children.length > 1) {
      const rows = levels[level + 1].rows;
      let maxPair = Number.NEGATIVE_INFINITY;
      for (let a = 0; a < children.length; a++)
        for (let b = a + 1; b < children.length; b++)
          maxPair = Math.max(maxPair, rowCosine(rows, children[a], rows, children[b], D));
      if (maxPair < distinctCos) {
        for (const c of children) walk(level + 1, c);
        return;
      }
    }
    out.push({ level, index });
  };
  for (let i = 0; i < levels[0].n; i++) walk(0, i);
  links.forEach((link, l) => {
    link.kind.forEach((k, j) => {
      if (k === 'new') walk(l + 1, j);
    });
  });
  return out;
}

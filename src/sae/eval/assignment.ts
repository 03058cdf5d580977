/**
 * One-to-one matching of two sets of directions by the Hungarian algorithm (Kuhn 1955;
 * Munkres 1957), through the `munkres` package: the assignment of rows to columns that
 * maximises the summed similarity, each row and each column used at most once, min(m, n) pairs.
 * Used to match decoder rows to true features (known-truth benchmark) and the latents of two
 * SAEs trained with different seeds (seed stability; Paulo & Belrose 2025, arXiv:2501.16615).
 */
import { munkres } from 'munkres';
import { InputError, checkInt } from '../../base/errors';

/** Matched pairs: `rows[p]` goes with `cols[p]` at similarity `values[p]`, sorted by row. */
export interface Assignment {
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
  /** Sum of the matched similarities (the maximum over all one-to-one assignments). */
  total: number;
}

/**
 * The one-to-one assignment maximising sum sim[row][col], sim row-major [m, n].
 * O(max(m, n)^3): fine for a few thousand.
 */
export function maxSimilarityAssignment(simMN: ArrayLike<number>, m: number, n: number): Assignment {
  checkInt('m', m, 1);
  checkInt('n', n, 1);
  if (simMN.length !== m * n) throw new InputError('simMN', `needs ${m} x ${n} = ${m * n} values, got ${simMN.length}`);
  // munkres minimises cost: cost = -similarity.
  const cost = Array.from({ length: m }, (_, i) => {
    const row = new Float64Array(n);
    for (let j = 0; j < n; j++) row[j] = -simMN[i * n + j];
    return row;
  });
  const pairs = munkres(cost).sort((a, b) => a[0] - b[0]);
  const rows = Int32Array.from(pairs, (p) => p[0]);
  const cols = Int32Array.from(pairs, (p) => p[1]);
  const values = Float64Array.from(pairs, (p) => simMN[p[0] * n + p[1]]);
  return { rows, cols, values, total: values.reduce((a, b) => a + b, 0) };
}

/**
 * cos(a_i, b_k) = <a_i, b_k> / (||a_i|| ||b_k||) between every row of `a` [ma, D] and every row of
 * `b` [mb, D], row-major [ma, mb], in float64; 0 for a zero row (it matches nothing).
 */
export function cosineMatrix(a: Float32Array, b: Float32Array, dim: number): Float64Array {
  checkInt('dim', dim, 1);
  if (a.length % dim !== 0 || b.length % dim !== 0)
    throw new InputError('a', `lengths ${a.length} and ${b.length} must be multiples of dim ${dim}`);
  const ma = a.length / dim;
  const mb = b.length / dim;
  const norms = (x: Float32Array, rows: number) =>
    Float64Array.from({ length: rows }, (_, r) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += x[r * dim + j] ** 2;
      return Math.sqrt(s);
    });
  const na = norms(a, ma);
  const nb = norms(b, mb);
  const out = new Float64Array(ma * mb);
  for (let i = 0; i < ma; i++)
    for (let k = 0; k < mb; k++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += a[i * dim + j] * b[k * dim + j];
      const denom = na[i] * nb[k];
      out[i * mb + k] = denom > 0 ? dot / denom : 0;
    }
  return out;
}

/** |cos| between every row of `a` [ma, D] and every row of `b` [mb, D], row-major [ma, mb] (0 for a zero row). */
export function absCosineMatrix(a: Float32Array, b: Float32Array, dim: number): Float64Array {
  return cosineMatrix(a, b, dim).map(Math.abs);
}

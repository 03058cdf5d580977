/**
 * Shuffling: consecutive activations of one text are correlated (neighbouring characters share
 * most of their context), so training on them in order gives batches that look alike. These
 * helpers measure how alike, and what it costs in training tokens.
 *
 * - `neighbourCosine`: mean cosine between rows i and i + lag (centred on the mean row), against
 *   the same over a random pairing: the serial correlation of the stream.
 * - `tokensToReach`: the first point where a loss curve (tokens, loss) reaches `target`, linearly
 *   interpolated between the two evaluations that bracket it; null when it never does.
 */
import { InputError, checkInt } from '../base/errors';
import { Rng } from '../core/random';

/**
 * Mean over i of cos(x_i - mean, x_{i+lag} - mean) for rows [M, D], and the same for `pairs`
 * random pairs (i, j) drawn with the given seed (the baseline with no serial order).
 */
export function neighbourCosine(
  rowsMD: Float32Array,
  dim: number,
  lag = 1,
  seed = 0,
  pairs = 4096,
): { neighbour: number; random: number } {
  checkInt('dim', dim, 1);
  const M = rowsMD.length / dim;
  if (!Number.isInteger(M) || M < 2)
    throw new InputError('rowsMD', `needs at least 2 rows of ${dim}, got ${rowsMD.length} values`);
  checkInt('lag', lag, 1, M - 1);
  const mean = new Float64Array(dim);
  for (let r = 0; r < M; r++) for (let c = 0; c < dim; c++) mean[c] += rowsMD[r * dim + c] / M;
  const cos = (a: number, b: number) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < dim; c++) {
      const u = rowsMD[a * dim + c] - mean[c];
      const v = rowsMD[b * dim + c] - mean[c];
      dot += u * v;
      na += u * u;
      nb += v * v;
    }
    return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  };
  let neighbour = 0;
  for (let i = 0; i + lag < M; i++) neighbour += cos(i, i + lag);
  const rng = new Rng(seed);
  let random = 0;
  for (let p = 0; p < pairs; p++) {
    const i = rng.int(M);
    let j = rng.int(M - 1);
    if (j >= i) j++;
    random += cos(i, j);
  }
  return { neighbour: neighbour / (M - lag), random: random / pairs };
}

/**
 * Tokens at which the curve first reaches `target` (loss <= target), interpolated linearly
 * between the evaluation before and the one that reaches it; null if no point reaches it.
 * @param curve points [tokens, loss] in increasing tokens
 */
export function tokensToReach(curve: Array<[number, number]>, target: number): number | null {
  for (let i = 0; i < curve.length; i++) {
    const [t, loss] = curve[i];
    if (i > 0 && !(t > curve[i - 1][0]))
      throw new InputError('curve', `tokens must increase, got ${curve[i - 1][0]} then ${t}`);
    if (loss <= target) {
      if (i === 0) return t;
      const [t0, l0] = curve[i - 1];
      return t0 + ((l0 - target) / (l0 - loss)) * (t - t0);
    }
  }
  return null;
}

/**
 * Opposing decoder directions: for each latent, the most negative cosine similarity between
 * its decoder row and any other latent's (Gao et al. 2024 report, for a 256k-latent TopK SAE
 * with k = 256 on GPT-4, 286 latents with a partner below -0.9 and 1,314 below -0.7).
 *
 *   minCos_i = min_{j != i} <d_i, d_j> / (||d_i|| ||d_j||)
 *
 * computed in blocks of rows, so the [N, N] similarity matrix never exists: peak memory is
 * one [blockRows, N] block (65,536 latents in blocks of 256: 64 MiB).
 *
 * Baseline: n independent uniform unit vectors in R^d. For one pair the angle theta has density
 * proportional to sin^(d-2) theta on [0, pi], so
 *   q(t) = P(<u, v> < -t) = int_{arccos(-t)}^{pi} sin^(d-2) / int_0^pi sin^(d-2)
 * (d = 3: q = (1 - t) / 2; d = 2: q = arccos(t) / pi). Given u_i, the other n - 1 vectors are
 * independent of each other, so exactly
 *   E[#{i : minCos_i < -t}] = n (1 - (1 - q)^(n - 1)).
 */
import * as tf from '@tensorflow/tfjs';
import { checkInt, checkNumber, checkShape } from '../base/errors';

/** Per latent, the most negative cosine to any other latent and which latent it is. */
export interface MinCosines {
  /** [N] min_{j != i} cos(d_i, d_j). */
  minCos: Float32Array;
  /** [N] the j attaining it. */
  partner: Int32Array;
}

/**
 * For each row of `wND`, the minimum cosine similarity to any other row, in blocks of
 * `blockRows` rows (see the module comment). Rows of zero norm count as orthogonal to all.
 * @param wND [N,D] decoder rows
 */
export async function minOtherCosines(wND: tf.Tensor2D, blockRows = 256): Promise<MinCosines> {
  checkShape('wND', wND, [null, null]);
  const [N] = wND.shape;
  checkInt('N', N, 2);
  checkInt('blockRows', blockRows, 1);
  const minCos = new Float32Array(N);
  const partner = new Int32Array(N);
  const unitDN = tf.tidy(() => wND.div(wND.square().sum(1, true).sqrt().maximum(1e-12)).transpose() as tf.Tensor2D);
  try {
    for (let start = 0; start < N; start += blockRows) {
      const rows = Math.min(blockRows, N - start);
      const [mins, args] = tf.tidy(() => {
        const blockBD = unitDN.slice([0, start], [-1, rows]).transpose() as tf.Tensor2D;
        // The self-similarity (1) is pushed to +3, above any real cosine, so it is never the minimum.
        const selfBN = tf.oneHot(tf.range(start, start + rows, 1, 'int32'), N).mul(2);
        const simsBN = blockBD.matMul(unitDN).add(selfBN);
        return [simsBN.min(1), simsBN.argMin(1)];
      });
      minCos.set(await mins.data(), start);
      partner.set(await args.data(), start);
      mins.dispose();
      args.dispose();
    }
  } finally {
    unitDN.dispose();
  }
  return { minCos, partner };
}

/** How many entries of `values` are below `threshold`. */
export function countBelow(values: ArrayLike<number>, threshold: number): number {
  let c = 0;
  for (let i = 0; i < values.length; i++) if (values[i] < threshold) c++;
  return c;
}

/**
 * q(t) = P(<u, v> < -t) for independent uniform unit vectors u, v in R^d (d >= 2), by
 * Simpson's rule over the angle (module comment). Exact for d = 2 and 3 up to quadrature error.
 */
export function opposingPairProbability(d: number, t: number, intervals = 20000): number {
  checkInt('d', d, 2);
  checkNumber('t', t, { min: -1, max: 1 });
  checkInt('intervals', intervals, 2);
  const m = intervals % 2 === 0 ? intervals : intervals + 1;
  // log sin^(d-2), shifted by its maximum (0 at pi/2) so nothing underflows near the peak.
  const integral = (a: number, b: number) => {
    if (b <= a) return 0;
    const h = (b - a) / m;
    let s = 0;
    for (let i = 0; i <= m; i++) {
      const theta = a + i * h;
      const w = i === 0 || i === m ? 1 : i % 2 === 1 ? 4 : 2;
      const sin = Math.sin(theta);
      s += w * (d === 2 ? 1 : sin > 0 ? Math.exp((d - 2) * Math.log(sin)) : 0);
    }
    return (s * h) / 3;
  };
  return integral(Math.acos(-t), Math.PI) / integral(0, Math.PI);
}

/** E[#{i : min_{j != i} <u_i, u_j> < -t}] for n independent uniform unit vectors in R^d (module comment). */
export function expectedOpposingCount(n: number, d: number, t: number): number {
  checkInt('n', n, 2);
  const q = opposingPairProbability(d, t);
  return n * -Math.expm1((n - 1) * Math.log1p(-q));
}

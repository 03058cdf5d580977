/**
 * The shared contract of the sparse-autoencoder family: parameters, pre-encoder bias,
 * tied initialisation, the data-dependent decoder bias, input normalisation and the
 * unit-norm decoder constraint. Every architecture (relu-l1, topk, batch-topk, jumprelu,
 * matryoshka) extends `SparseAutoencoder` and returns the same `SaeOutput` record.
 *
 * Model (Bricken et al. 2023 "Towards Monosemanticity"; Gao et al. 2024, arXiv:2406.04093, Sec. 2):
 *   x' = s x                                   input normalisation, s = sqrt(d / E||x||^2) (or 1)
 *   z  = (x' - b_dec) W_enc + b_enc            pre-activations [B,N] (pre-encoder bias subtraction)
 *   f  = sigma(z)                              latents (architecture-specific sigma)
 *   x'hat = f W_dec + b_dec,  xhat = x'hat / s reconstruction, back in input units
 * W_enc [D,N], b_enc [N], W_dec [N,D] (one unit-norm row per latent), b_dec [D].
 *
 * Conventions of this package:
 * - `losses.mse` is the per-input squared error mean_b ||x'_b - x'hat_b||^2 in normalised units
 *   (summed over D, averaged over the batch), the quantity the models optimise.
 * - Latents are SPARSE `{valuesBK, indicesBK}` for the per-input TopK family (topk, matryoshka)
 *   and DENSE `[B,N]` for the others (relu-l1, batch-topk, jumprelu); `denseLatents()` converts.
 * - Tied init (Gao et al. 2024, Sec. 2.2; universal in openai/sparse_autoencoder, SAELens,
 *   sparsify): W_enc = W_dec^T with unit-norm decoder rows, on by default.
 * - b_dec from the geometric median of a data sample (Weiszfeld 1937, as openai and
 *   dictionary_learning do) or its mean.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError, checkInt, checkNumber, checkOneOf, checkShape } from '../core/errors';
import { Params, init } from '../core/params';
import { gatherRows as gatherTableRows } from '../../kernels/shared/gather-rows';
import { densify } from '../../kernels/topk/reference';
import { Rng } from '../core/random';

/** The architectures of the family. */
export const SAE_ARCHITECTURES = ['relu-l1', 'topk', 'batch-topk', 'jumprelu', 'matryoshka'] as const;
export type SaeArchitecture = (typeof SAE_ARCHITECTURES)[number];

/** Options every SAE shares. */
export interface SaeCommonConfig {
  /** Input width D. */
  dIn: number;
  /** Number of latents N (the dictionary size). */
  nLatents: number;
  /** W_enc = W_dec^T at initialisation (Gao et al. 2024). Default true. */
  tiedInit?: boolean;
  /** Encode x - b_dec (true, SAELens `apply_b_dec_to_input`) or x itself (false, e.g. Gemma Scope). Default true. */
  applyBDecToInput?: boolean;
  /** Use the fused kernels of `kernels/` (true) or the plain-tfjs reference paths (false). Default true. */
  useKernels?: boolean;
  /** Seed of the initial weights. Default 0. */
  seed?: number;
}

/** Latents in one of two layouts (see the module comment for which SAE uses which). */
export type Latents =
  | { kind: 'sparse'; valuesBK: tf.Tensor2D; indicesBK: tf.Tensor2D }
  | { kind: 'dense'; denseBN: tf.Tensor2D };

/** What every SAE's `forward` returns. The caller disposes it (`disposeOutput`). */
export interface SaeOutput {
  latents: Latents;
  /** Reconstruction in input units [B,D]. */
  recon: tf.Tensor2D;
  /** Named loss terms, `mse` always among them (normalised units, see the module comment). */
  losses: { mse: tf.Scalar } & Record<string, tf.Scalar>;
  /** The training objective. */
  loss: tf.Scalar;
}

/** Options of one forward pass. */
export interface ForwardOptions {
  /** Training mode: BatchTopK selects over the batch and updates its threshold. Default false. */
  training?: boolean;
  /** Latents the trainer found dead (indices), for the AuxK loss of the TopK family. */
  deadLatents?: Int32Array;
}

/**
 * Evaluates `fn(...inputs)` with the gradient tape off and returns the result as a constant for
 * autodiff (zero gradient to the inputs). tfjs demands a gradient for every taped op on the path
 * from the parameters to the loss, integer outputs included, and `topk`, `scatterND` and the
 * comparisons have none: index selections and masks are built through this.
 */
export function untaped<T extends tf.Tensor>(fn: (...xs: tf.Tensor[]) => T, ...inputs: tf.Tensor[]): T {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    const shapes = xs.map((x) => x.shape);
    return { value: fn(...xs), gradFunc: () => shapes.map((shape) => tf.zeros(shape)) };
  });
  return op(...inputs) as T;
}

/**
 * Rows `idxM` of `xRC`, differentiable on every backend (the backward scatter-adds dy into the
 * touched rows; tfjs's own Gather gradient needs UnsortedSegmentSum, which wasm lacks). One
 * implementation, shared with the kernels: `kernels/shared/gather-rows.ts`.
 * @param xRC [R,C] @param idxM [M] (cast to int32) @returns [M,C]
 */
export function gatherRows(xRC: tf.Tensor, idxM: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => gatherTableRows(xRC as tf.Tensor2D, idxM.toInt() as tf.Tensor1D));
}

/** Identity whose gradient is zero (tfjs has no stop_gradient): the value is used as a constant. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return untaped((t) => t.clone(), x) as T;
}

/** Disposes every tensor of a forward record. */
export function disposeOutput(out: SaeOutput): void {
  const ts: tf.Tensor[] = [out.recon, out.loss, ...Object.values(out.losses)];
  if (out.latents.kind === 'sparse') ts.push(out.latents.valuesBK, out.latents.indicesBK);
  else ts.push(out.latents.denseBN);
  for (const t of ts) if (!t.isDisposed) t.dispose();
}

/**
 * Scatters sparse latents into a dense [B,N] tensor: the kernels' `densify` (one implementation).
 * @param valuesBK [B,K] @param indicesBK [B,K] int32 @returns [B,N]
 */
export function scatterLatents(valuesBK: tf.Tensor2D, indicesBK: tf.Tensor2D, nLatents: number): tf.Tensor2D {
  return tf.tidy(() => densify(valuesBK, indicesBK.toInt() as tf.Tensor2D, nLatents));
}

/** The latents as a dense [B,N] tensor (a new tensor in both cases). */
export function denseLatents(latents: Latents, nLatents: number): tf.Tensor2D {
  return latents.kind === 'dense'
    ? latents.denseBN.clone()
    : scatterLatents(latents.valuesBK, latents.indicesBK, nLatents);
}

/**
 * How many inputs of the batch fired each latent (f > 0).
 * @returns [N]
 */
export function firedCounts(latents: Latents, nLatents: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (latents.kind === 'dense') return latents.denseBN.greater(0).cast('float32').sum(0) as tf.Tensor1D;
    const { valuesBK, indicesBK } = latents;
    const n = valuesBK.size;
    return tf.scatterND(indicesBK.toInt().reshape([n, 1]), valuesBK.greater(0).cast('float32').reshape([n]), [
      nLatents,
    ]) as tf.Tensor1D;
  });
}

/**
 * Per-input squared error summed over D, averaged over the batch: mean_b ||x_b - xhat_b||^2.
 * @param xBD [B,D] @param xhatBD [B,D] @returns scalar
 */
export function squaredError(xBD: tf.Tensor2D, xhatBD: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => xBD.sub(xhatBD).square().sum(1).mean() as tf.Scalar);
}

/**
 * Fraction of variance unexplained over one batch, numerator and denominator summed
 * separately: sum_b ||x_b - xhat_b||^2 / sum_b ||x_b - mean(x)||^2.
 * @param xBD [B,D] @param xhatBD [B,D] @returns scalar
 */
export function batchFvu(xBD: tf.Tensor2D, xhatBD: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const total = xBD.sub(xBD.mean(0, true)).square().sum();
    return xBD.sub(xhatBD).square().sum().div(total.add(1e-12)) as tf.Scalar;
  });
}

/**
 * Geometric median of the rows of `xMD` by Weiszfeld's iteration (Weiszfeld 1937):
 *   y <- sum_i w_i x_i / sum_i w_i,   w_i = 1 / max(||x_i - y||, eps),  starting from the mean.
 * @param xMD [M,D] @returns [D]
 */
export function geometricMedian(xMD: tf.Tensor2D, iterations = 100, eps = 1e-8): tf.Tensor1D {
  return tf.tidy(() => {
    let y = xMD.mean(0) as tf.Tensor1D;
    for (let t = 0; t < iterations; t++) {
      const next = tf.tidy(() => {
        const wM = tf.div(1, tf.maximum(xMD.sub(y).square().sum(1).sqrt(), eps));
        return xMD.mul(wM.expandDims(1)).sum(0).div(wM.sum()) as tf.Tensor1D;
      });
      y.dispose();
      y = next;
    }
    return y;
  });
}

/** Rows of `wND` scaled to unit L2 norm. @param wND [N,D] */
export function unitRows(wND: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => wND.div(wND.square().sum(1, true).sqrt().add(1e-12)) as tf.Tensor2D);
}

/**
 * Removes from each row's gradient its component along that (unit-norm) decoder row,
 * so the step moves tangentially to the unit sphere (Bricken et al. 2023; Gao et al. 2024):
 *   g_i <- g_i - (g_i . d_i) d_i
 * @param gradND [N,D] @param wDecND [N,D] with unit rows @returns [N,D]
 */
export function removeParallelGrad(gradND: tf.Tensor2D, wDecND: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => gradND.sub(wDecND.mul(gradND.mul(wDecND).sum(1, true))) as tf.Tensor2D);
}

/** Options of `initFromData`. */
export interface DataInitOptions {
  /** How to set b_dec: geometric median of the sample (default), its mean, or zeros (SAELens). */
  bDecInit?: 'geometric-median' | 'mean' | 'zeros';
  /** Scale inputs so E||s x||^2 = D (SAELens `expected_average_only_in`), estimated from the sample. Default false. */
  normalizeInput?: boolean;
  /** Weiszfeld iterations. Default 100. */
  medianIterations?: number;
}

/** The base class: parameters, encoder, decoder and the constraints every SAE shares. */
export abstract class SparseAutoencoder {
  abstract readonly architecture: SaeArchitecture;
  /** The config the SAE was built from (saved beside the weights). */
  abstract readonly config: SaeCommonConfig & { architecture: SaeArchitecture };
  readonly dIn: number;
  readonly nLatents: number;
  readonly tiedInit: boolean;
  readonly applyBDecToInput: boolean;
  readonly useKernels: boolean;
  readonly seed: number;
  /** W_enc, b_enc, W_dec, b_dec (and the subclass's own parameters). */
  readonly params: Params;
  /** The input scale s (1 = no normalisation). Folded into the weights on save. */
  inputScale = 1;

  constructor(config: SaeCommonConfig) {
    this.dIn = checkInt('dIn', config.dIn, 1);
    this.nLatents = checkInt('nLatents', config.nLatents, 1);
    this.tiedInit = config.tiedInit ?? true;
    this.applyBDecToInput = config.applyBDecToInput ?? true;
    this.useKernels = config.useKernels ?? true;
    this.seed = checkInt('seed', config.seed ?? 0, 0, 2 ** 32 - 1);
    const rng = new Rng(this.seed);
    const { dIn: D, nLatents: N } = this;
    this.params = new Params('sae');
    // Decoder rows: random directions on the unit sphere (Gao et al. 2024, Sec. 2.2).
    const wDecND = tf.tidy(() => unitRows(rng.randomNormal([N, D]) as tf.Tensor2D));
    const encRng = rng.fork();
    const wEncDN = this.tiedInit ? wDecND.transpose() : init.kaimingUniform(encRng, [D, N]);
    this.params.add('W_enc', wEncDN);
    this.params.add('b_enc', init.zeros([N]));
    this.params.add('W_dec', wDecND);
    this.params.add('b_dec', init.zeros([D]));
  }

  /** W_enc [D,N]. */
  get wEncDN(): tf.Variable {
    return this.params.get('W_enc');
  }
  /** b_enc [N]. */
  get bEncN(): tf.Variable {
    return this.params.get('b_enc');
  }
  /** W_dec [N,D]. */
  get wDecND(): tf.Variable {
    return this.params.get('W_dec');
  }
  /** b_dec [D]. */
  get bDecD(): tf.Variable {
    return this.params.get('b_dec');
  }

  /** x' = s x after checking the shape. @param xBD [B,D] */
  normalise(xBD: tf.Tensor2D): tf.Tensor2D {
    checkShape('x', xBD, [null, this.dIn]);
    return tf.tidy(() => (this.inputScale === 1 ? xBD.clone() : xBD.mul(this.inputScale)) as tf.Tensor2D);
  }

  /** The bias subtracted before encoding: b_dec, or zeros when `applyBDecToInput` is off. @returns [D] */
  inputBias(): tf.Tensor1D {
    return tf.tidy(() => (this.applyBDecToInput ? this.bDecD.clone() : tf.zeros([this.dIn])) as tf.Tensor1D);
  }

  /**
   * Pre-activations z = (x' - b_dec) W_enc + b_enc, x' already normalised.
   * @param xnBD [B,D] @returns [B,N]
   */
  preActivations(xnBD: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const centred = this.applyBDecToInput ? xnBD.sub(this.bDecD) : xnBD;
      return centred.matMul(this.wEncDN).add(this.bEncN) as tf.Tensor2D;
    });
  }

  /**
   * x'hat = f W_dec + b_dec in normalised units: a dense matmul for dense latents, a gather of
   * the K active decoder rows for sparse ones (the TopK family overrides with the sparse kernel).
   */
  decodeNormalised(latents: Latents): tf.Tensor2D {
    return tf.tidy(() => {
      if (latents.kind === 'dense') return latents.denseBN.matMul(this.wDecND).add(this.bDecD) as tf.Tensor2D;
      const { valuesBK, indicesBK } = latents;
      const [B, K] = valuesBK.shape;
      const rowsBKD = gatherRows(this.wDecND, indicesBK.reshape([B * K])).reshape([B, K, this.dIn]);
      return rowsBKD.mul(valuesBK.expandDims(2)).sum(1).add(this.bDecD) as tf.Tensor2D;
    });
  }

  /** Reconstruction xhat = (f W_dec + b_dec) / s in input units. @returns [B,D] */
  decode(latents: Latents): tf.Tensor2D {
    return tf.tidy(() => {
      const xn = this.decodeNormalised(latents);
      return (this.inputScale === 1 ? xn : xn.div(this.inputScale)) as tf.Tensor2D;
    });
  }

  /** Inference-time latents of raw inputs (independent of the batch for every architecture). */
  abstract encode(xBD: tf.Tensor2D): Latents;

  /** Latents, reconstruction and loss terms of raw inputs [B,D]. */
  abstract forward(xBD: tf.Tensor2D, options?: ForwardOptions): SaeOutput;

  /** Sets b_dec (and the input scale) from a sample of inputs [M,D], before training. */
  async initFromData(sampleMD: tf.Tensor2D, options: DataInitOptions = {}): Promise<void> {
    checkShape('sample', sampleMD, [null, this.dIn]);
    const method = checkOneOf('bDecInit', options.bDecInit ?? 'geometric-median', [
      'geometric-median',
      'mean',
      'zeros',
    ] as const);
    const iterations = checkInt('medianIterations', options.medianIterations ?? 100, 1);
    if (options.normalizeInput) {
      const meanSqT = tf.tidy(() => sampleMD.square().sum(1).mean());
      const meanSq = (await meanSqT.data())[0];
      meanSqT.dispose();
      if (!(meanSq > 0)) throw new InputError('sample', 'has zero mean squared norm: cannot normalise');
      this.inputScale = Math.sqrt(this.dIn / meanSq);
    }
    tf.tidy(() => {
      const xn = this.inputScale === 1 ? sampleMD : (sampleMD.mul(this.inputScale) as tf.Tensor2D);
      const bDec =
        method === 'zeros' ? tf.zeros([this.dIn]) : method === 'mean' ? xn.mean(0) : geometricMedian(xn, iterations);
      this.bDecD.assign(bDec);
    });
  }

  /** Projects out the radial part of the decoder gradient in place of `grads.W_dec`. */
  constrainDecoderGrad(grads: Record<string, tf.Tensor>): void {
    const g = grads.W_dec as tf.Tensor2D | undefined;
    if (!g) return;
    grads.W_dec = removeParallelGrad(g, this.wDecND as tf.Tensor2D);
    g.dispose();
  }

  /** Rescales every decoder row to unit norm (after the optimiser step). */
  renormaliseDecoder(): void {
    tf.tidy(() => this.wDecND.assign(unitRows(this.wDecND as tf.Tensor2D)));
  }

  /** Extra per-latent parameters saved beside the weights (JumpReLU's threshold). */
  thresholdN(): tf.Tensor1D | null {
    return null;
  }

  /**
   * Weights in input units with the normalisation folded in (SAELens
   * `fold_activation_norm_scaling_factor`): W_enc s, W_dec / s, b_dec / s; b_enc and the
   * threshold are unchanged. The caller disposes them.
   */
  foldedWeights(): Record<string, tf.Tensor> {
    const s = this.inputScale;
    const out: Record<string, tf.Tensor> = tf.tidy(() => ({
      W_enc: this.wEncDN.mul(s),
      b_enc: this.bEncN.clone(),
      W_dec: this.wDecND.div(s),
      b_dec: this.bDecD.div(s),
    }));
    const theta = this.thresholdN();
    if (theta) out.threshold = theta;
    return out;
  }

  /**
   * Loads weights in input units (as `foldedWeights` writes them): sets s = 1. Decoder rows
   * need not be unit norm afterwards; training renormalises them at its first step.
   */
  loadWeights(weights: Record<string, tf.Tensor>): void {
    for (const name of ['W_enc', 'b_enc', 'W_dec', 'b_dec']) {
      if (!weights[name]) throw new InputError('weights', `missing '${name}'`);
    }
    this.params.assign({ W_enc: weights.W_enc, b_enc: weights.b_enc, W_dec: weights.W_dec, b_dec: weights.b_dec });
    this.inputScale = 1;
  }

  /** Frees the parameters. */
  dispose(): void {
    this.params.dispose();
  }
}

/** Throws unless k is an integer in [1, n], naming the argument. */
export function checkK(argument: string, k: number, n: number): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > n) {
    throw new ConfigError(argument, `must be an integer in [1, nLatents=${n}], got ${k}`);
  }
  return k;
}

/** Throws unless lambda is a finite number >= 0. */
export function checkCoefficient(argument: string, value: number): number {
  return checkNumber(argument, value, { min: 0 });
}

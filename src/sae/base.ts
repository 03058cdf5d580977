/**
 * The contract of the sparse-autoencoder family and its one template forward pass.
 *
 * Model (Bricken et al. 2023 "Towards Monosemanticity"; Gao et al. 2024, arXiv:2406.04093, Sec. 2):
 *   x' = s x                                   input normalisation, s = sqrt(d / E||x||^2) (or 1)
 *   z  = (x' - b_dec) W_enc + b_enc            pre-activations [B,N] (pre-encoder bias subtraction)
 *   f  = sigma(z)                              latents: the architecture's activation
 *   x'hat = f W_dec + b_dec,  xhat = x'hat / s reconstruction, back in input units
 *   L  = sum_t c_t L_t                         MSE, FVU and the architecture's terms (losses.ts)
 * W_enc [D,N], b_enc [N], W_dec [N,D] (one unit-norm row per latent), b_dec [D].
 *
 * An architecture (relu-l1.ts, topk.ts, ...) is one short file: its resolved config, its
 * activation (`activate`), the coefficients of MSE and FVU in its objective, its extra loss
 * terms (`lossTerms`) as a named record with coefficients, and its registration (registry.ts);
 * `forward` here does the rest (the shape of SAELens v6's training forward) and returns the
 * activation's metrics (values reported, not optimised) apart from the loss terms. Sparse latents
 * are decoded by the sparse-decode op.
 * Every op runs through `withKernels(useKernels, ...)`: false runs each kernels/<op>/reference.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkShape } from '../base/errors';
import { Params, init } from '../core/params';
import { Rng } from '../core/random';
import { withKernels } from '../../kernels/shared/js-kernel';
import { sparseDecode } from '../../kernels/sparse-decode';
import type { SelectedCode } from '../../kernels/sparse-encode';
import { type ResolvedCommonConfig, checkForwardOptions } from './config';
import { removeParallelGrad, unitRows } from './geometry';
import { type DataInitOptions, initFromData } from './init';
import { type Latents, latentTensors } from './latents';
import { type AuxKWeights, batchFvu, squaredError } from './losses';
import { SparsePath } from './sparse-path';

export { checkCoefficient } from './config';
export type { SaeCommonConfig } from './config';
export { denseLatents, scatterLatents, firedCounts } from './latents';
export type { Latents } from './latents';
export type { DataInitOptions } from './init';

/** What every SAE's `forward` returns. The caller disposes it (`disposeOutput`). */
export interface SaeOutput {
  latents: Latents;
  /** Reconstruction in input units [B,D]. */
  recon: tf.Tensor2D;
  /** Named loss terms in normalised units, `mse` and `fvu` always among them. */
  losses: { mse: tf.Scalar; fvu: tf.Scalar } & Record<string, tf.Scalar>;
  /** The training objective sum_t c_t L_t. */
  loss: tf.Scalar;
  /** Values reported beside the losses that are no part of the objective (BatchTopK's `inferenceL0`). */
  metrics: Record<string, tf.Scalar>;
}

/** Options of one forward pass. */
export interface ForwardOptions {
  /** Training mode: BatchTopK selects over the batch and updates its threshold. Default false. */
  training?: boolean;
  /** Latents the trainer found dead (indices), for the AuxK loss of the TopK family. */
  deadLatents?: Int32Array;
  /**
   * What the output predicts, in input units [B,D]: a transcoder's target (the MLP's output,
   * transcoder.ts). An SAE reconstructs its input and takes none.
   */
  target?: tf.Tensor2D;
}

/** One loss term: its value, its coefficient in the objective, and (for a surrogate) what enters the sum instead. */
export interface LossTerm {
  value: tf.Scalar;
  coefficient: number;
  /** The same value with a different gradient (JumpReLU's pooled L0); default `value`. */
  objective?: tf.Scalar;
}

/** What an architecture's activation returns: the latents and what its loss terms reuse. */
export interface Encoding {
  latents: Latents;
  /** Dense pre-activations z [B,N], where the activation computed them. */
  preActsBN?: tf.Tensor2D;
  /** Wider latents for an extra reconstruction term (Multi-TopK's 4k). */
  wideLatents?: Latents;
  /** The sparse encoder's selected pre-activations, where the activation ran on them (JumpReLU's L0 reuses them). */
  selected?: SelectedCode;
  /**
   * Values to report that are no loss term (`SaeOutput.metrics`), named unlike the loss terms and
   * the trainer's own metrics (loss, l0, deadFraction, lr).
   */
  metrics?: Record<string, tf.Scalar>;
}

/** What `lossTerms` sees of one forward pass. */
export interface LossContext {
  xnBD: tf.Tensor2D;
  /** What the output predicts, normalised: x' itself for an SAE, y' for a transcoder. */
  targetBD: tf.Tensor2D;
  /** The output: x'hat, or a transcoder's y'hat. */
  xhatBD: tf.Tensor2D;
  act: Encoding;
  options: ForwardOptions;
}

/** Disposes every tensor of a forward record. */
export function disposeOutput(out: SaeOutput): void {
  const ts = [
    out.recon,
    out.loss,
    ...Object.values(out.losses),
    ...Object.values(out.metrics),
    ...latentTensors(out.latents),
  ];
  for (const t of ts) if (!t.isDisposed) t.dispose();
}

/** The base class: parameters, the template forward, the decoder constraint and data initialisation. */
export abstract class SparseAutoencoder {
  /** The registered name (registry.ts). */
  abstract readonly architecture: string;
  /** The resolved config the SAE was built from (every default filled in; saved beside the weights). */
  readonly config: ResolvedCommonConfig & { architecture: string };
  readonly dIn: number;
  readonly nLatents: number;
  readonly tiedInit: boolean;
  readonly applyBDecToInput: boolean;
  readonly useKernels: boolean;
  readonly seed: number;
  /** W_enc, b_enc, W_dec, b_dec (and the architecture's own parameters). */
  readonly params: Params;
  /** The input scale s (1 = no normalisation). Folded into the weights on save. */
  inputScale = 1;
  /** Coefficients of MSE and FVU in the objective (the architecture's choice of reconstruction loss). */
  protected abstract readonly reconstruction: { mse: number; fvu: number };
  /** The sparse encoder of the dense-activation architectures, and when it pays (sparse-path.ts). */
  protected readonly sparsePath = new SparsePath();

  /** `config` must be resolved and validated already (each architecture's `resolve...Config`): this allocates. */
  constructor(config: ResolvedCommonConfig & { architecture: string }) {
    this.config = config;
    ({ dIn: this.dIn, nLatents: this.nLatents, tiedInit: this.tiedInit, seed: this.seed } = config);
    ({ applyBDecToInput: this.applyBDecToInput, useKernels: this.useKernels } = config);
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
    if (!(xBD instanceof tf.Tensor)) throw new InputError('x', `must be a tf.Tensor of shape [B, ${this.dIn}]`);
    checkShape('x', xBD, [null, this.dIn]);
    return tf.tidy(() => (this.inputScale === 1 ? xBD.clone() : xBD.mul(this.inputScale)) as tf.Tensor2D);
  }

  /** The bias subtracted before encoding: b_dec, or zeros when `applyBDecToInput` is off. @returns [D] */
  inputBias(): tf.Tensor1D {
    return tf.tidy(() => (this.applyBDecToInput ? this.bDecD.clone() : tf.zeros([this.dIn])) as tf.Tensor1D);
  }

  /** Pre-activations z = (x' - b_dec) W_enc + b_enc, x' already normalised. @param xnBD [B,D] @returns [B,N] */
  preActivations(xnBD: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const centred = this.applyBDecToInput ? xnBD.sub(this.bDecD) : xnBD;
      return centred.matMul(this.wEncDN).add(this.bEncN) as tf.Tensor2D;
    });
  }

  /** The weights the AuxK loss reads (losses.ts `deadLatentAuxK`). */
  protected auxKWeights(): AuxKWeights {
    const [wEncDN, bEncN, wDecND] = [this.wEncDN, this.bEncN, this.wDecND] as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
    return { wEncDN, bEncN, wDecND, inputBiasD: this.applyBDecToInput ? (this.bDecD as tf.Tensor1D) : null };
  }

  /** The architecture's activation of normalised inputs (`forLoss`: also what its loss terms need). */
  protected abstract activate(xnBD: tf.Tensor2D, mode: { training: boolean; forLoss: boolean }): Encoding;

  /** The architecture's extra loss terms (AuxK, L1, L0, prefix losses), by name. */
  protected lossTerms(_ctx: LossContext): Record<string, LossTerm> {
    return {};
  }

  /** x'hat = f W_dec + b_dec in normalised units: a dense matmul, or the sparse-decode op for sparse latents. */
  decodeNormalised(latents: Latents): tf.Tensor2D {
    return withKernels(this.useKernels, () =>
      latents.kind === 'dense'
        ? tf.tidy(() => latents.denseBN.matMul(this.wDecND).add(this.bDecD) as tf.Tensor2D)
        : sparseDecode(latents.valuesBK, latents.indicesBK, this.wDecND as tf.Tensor2D, this.bDecD as tf.Tensor1D),
    );
  }

  /** x'hat / s: a normalised reconstruction back in input units. */
  protected toInputUnits(xhatBD: tf.Tensor2D): tf.Tensor2D {
    return (this.inputScale === 1 ? xhatBD : xhatBD.div(this.inputScale)) as tf.Tensor2D;
  }

  /**
   * The output of normalised inputs x' with latents f, normalised: f W_dec + b_dec. A skip
   * transcoder adds its linear skip term (transcoder.ts).
   */
  protected outputNormalised(_xnBD: tf.Tensor2D, latents: Latents): tf.Tensor2D {
    return this.decodeNormalised(latents);
  }

  /**
   * What the output predicts, normalised: the input x' itself (an autoencoder). A transcoder
   * reads `options.target` instead; an SAE given one throws.
   */
  protected targetOf(xnBD: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    if (options.target !== undefined) {
      throw new InputError(
        'options.target',
        `a '${this.architecture}' SAE reconstructs its input; only a transcoder takes a target`,
      );
    }
    return xnBD;
  }

  /** Reconstruction xhat = (f W_dec + b_dec) / s in input units. @returns [B,D] */
  decode(latents: Latents): tf.Tensor2D {
    return tf.tidy(() => this.toInputUnits(this.decodeNormalised(latents)));
  }

  /** Inference-time latents of raw inputs [B,D] (independent of the batch for every architecture). */
  encode(xBD: tf.Tensor2D): Latents {
    return withKernels(this.useKernels, () =>
      tf.tidy(() => this.activate(this.normalise(xBD), { training: false, forLoss: false }).latents),
    );
  }

  /**
   * Does a loss read the dead latents the trainer passes (`ForwardOptions.deadLatents`, the TopK
   * family's AuxK)? The trainer tracks them only for such SAEs.
   */
  get usesDeadLatents(): boolean {
    return false;
  }

  /**
   * Does the SAE predict a target other than its input (a transcoder, transcoder.ts)? The
   * trainer then draws (input, target) pairs from a paired source.
   */
  get predictsTarget(): boolean {
    return false;
  }

  /**
   * The template: normalise, activate, decode, then every loss term, their weighted sum, and the
   * metrics. MSE and FVU compare the output with the target: x' for an SAE, y' for a transcoder.
   */
  forward(xBD: tf.Tensor2D, options: ForwardOptions = {}): SaeOutput {
    checkForwardOptions(options, this.nLatents);
    return withKernels(this.useKernels, () =>
      tf.tidy(() => {
        const xnBD = this.normalise(xBD); // checks x before anything is allocated
        const targetBD = this.targetOf(xnBD, options);
        const act = this.activate(xnBD, { training: options.training ?? false, forLoss: true });
        const xhatBD = this.outputNormalised(xnBD, act.latents);
        const terms: Record<string, LossTerm> = {
          mse: { value: squaredError(targetBD, xhatBD), coefficient: this.reconstruction.mse },
          fvu: { value: batchFvu(targetBD, xhatBD), coefficient: this.reconstruction.fvu },
          ...this.lossTerms({ xnBD, targetBD, xhatBD, act, options }),
        };
        let loss: tf.Scalar | null = null;
        for (const { value, coefficient, objective = value } of Object.values(terms)) {
          if (coefficient === 0) continue;
          const weighted = coefficient === 1 ? objective : (objective.mul(coefficient) as tf.Scalar);
          loss = loss === null ? weighted : (loss.add(weighted) as tf.Scalar);
        }
        const losses = Object.fromEntries(Object.entries(terms).map(([k, t]) => [k, t.value])) as SaeOutput['losses'];
        const metrics = act.metrics ?? {};
        const clash = Object.keys(metrics).find((name) => name in losses);
        if (clash) throw new Error(`${this.architecture}: metric '${clash}' has the name of a loss term`);
        const recon = this.toInputUnits(xhatBD);
        return { latents: act.latents, recon, losses, loss: loss ?? tf.scalar(0), metrics };
      }),
    );
  }

  /**
   * Sets b_dec (and the input scale) from a sample of inputs [M,D], before training (init.ts).
   * `targetMD`, the targets of those inputs, is a transcoder's (its b_dec lives in their space).
   */
  initFromData(sampleMD: tf.Tensor2D, options: DataInitOptions = {}, targetMD?: tf.Tensor2D): Promise<void> {
    if (targetMD !== undefined) {
      throw new InputError(
        'target',
        `a '${this.architecture}' SAE reconstructs its input; only a transcoder takes a target`,
      );
    }
    return initFromData(this, sampleMD, options);
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

  /** Loads weights in input units (as `foldedWeights` writes them): sets s = 1. Training renormalises the decoder rows. */
  loadWeights(weights: Record<string, tf.Tensor>): void {
    for (const name of ['W_enc', 'b_enc', 'W_dec', 'b_dec']) {
      if (!weights[name]) throw new InputError('weights', `missing '${name}'`);
    }
    this.params.assign({ W_enc: weights.W_enc, b_enc: weights.b_enc, W_dec: weights.W_dec, b_dec: weights.b_dec });
    this.inputScale = 1;
  }

  /**
   * What a resumed training run needs besides the parameters and the optimiser: the input scale,
   * the sparse path's choice (it changes float rounding), and the architecture's own state
   * (BatchTopK's update count, JumpReLU's KDE buffer). Tensors are copies.
   */
  trainingState(): { json: Record<string, unknown>; tensors: Record<string, tf.Tensor> } {
    return { json: { inputScale: this.inputScale, sparsePath: this.sparsePath.getState() }, tensors: {} };
  }

  /** Restores `trainingState()` (the parameters are restored separately, by name). */
  loadTrainingState(json: Record<string, unknown>, _tensors: Record<string, tf.Tensor>): void {
    const s = json.inputScale;
    if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) {
      throw new InputError('state.inputScale', `must be a finite number > 0, got ${String(s)}`);
    }
    this.inputScale = s;
    if (json.sparsePath !== undefined) this.sparsePath.loadState(json.sparsePath);
  }

  /** Frees the parameters. */
  dispose(): void {
    this.params.dispose();
  }
}

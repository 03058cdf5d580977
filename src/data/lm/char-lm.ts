/**
 * A small character-level transformer language model (browser-safe; plain tfjs ops).
 *
 * The decoder-only transformer of Vaswani et al. 2017 ("Attention Is All You Need",
 * arXiv:1706.03762) in the pre-LayerNorm arrangement of GPT-2 (Radford et al. 2019,
 * "Language Models are Unsupervised Multitask Learners"; layout as in Karpathy's nanoGPT):
 *
 *   x_0 = W_te[tokens] + W_pe[positions]                       (learned positions)
 *   x_l' = x_{l-1} + Attn(LN(x_{l-1}))                          (causal, H heads)
 *   x_l  = x_l' + MLP(LN(x_l'))          MLP(h) = GELU(h W_in + b_in) W_out + b_out
 *   logits = LN_f(x_L) W_te^T                                   (tied embedding)
 *   Attn: softmax(Q K^T / sqrt(d_head) + M) V, M_ij = -1e9 for j > i (the causal mask)
 *
 * x_l, the *residual stream* after l blocks (l = 0 is the embedding), is what the SAE
 * lessons train on: `residualStream(ids, l)` returns it. GPT-2's initialisation: weights
 * N(0, 0.02), the two projections that write into the residual stream scaled by
 * 1/sqrt(2L). No dropout: training sees far less than one pass over the text.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, checkInt, checkNumber, checkShape } from '../../base/errors';
import { Params, init } from '../../core/params';
import { Rng } from '../../core/random';
import { Adam, makeSchedule } from '../../core/optim';
import { type MetricHistory, type TrainCallbacks, trainLoop } from '../../core/train';

export interface CharLmConfig {
  /** Number of token ids (70 for `CharVocab`). */
  vocabSize: number;
  /** Longest sequence the model reads (T); positions beyond it have no embedding. */
  contextLength: number;
  /** Width of the residual stream (D). */
  dModel: number;
  nLayers: number;
  /** Attention heads; must divide dModel. */
  nHeads: number;
  /** MLP hidden width as a multiple of dModel (4 in Vaswani et al. 2017 and GPT-2). */
  mlpRatio: number;
  /** Seed for the initial weights. */
  seed: number;
}

/** The shipped model's shape: 2 layers of width 128, 4 heads, 64 characters of context. */
export const DEFAULT_CHAR_LM: CharLmConfig = {
  vocabSize: 70,
  contextLength: 64,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  mlpRatio: 4,
  seed: 0,
};

/** Validates a config, throwing a ConfigError naming the bad field. */
export function checkCharLmConfig(c: CharLmConfig): CharLmConfig {
  checkInt('vocabSize', c.vocabSize, 2);
  checkInt('contextLength', c.contextLength, 1);
  checkInt('dModel', c.dModel, 1);
  checkInt('nLayers', c.nLayers, 1);
  checkInt('nHeads', c.nHeads, 1);
  if (c.dModel % c.nHeads !== 0) throw new ConfigError('nHeads', `must divide dModel = ${c.dModel}, got ${c.nHeads}`);
  checkInt('mlpRatio', c.mlpRatio, 1);
  checkInt('seed', c.seed, 0, 2 ** 32 - 1);
  return c;
}

/**
 * Mean cross-entropy in nats per predicted token:
 *   L = -1/N sum_n log softmax(logits_n)[target_n]
 * @param logitsNV [N, V]  @param targetsN [N] int32  @returns scalar
 */
export function crossEntropy(logitsNV: tf.Tensor2D, targetsN: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logitsNV);
    const picked = logProbs.mul(tf.oneHot(targetsN, logitsNV.shape[1])).sum(-1);
    return picked.mean().neg() as tf.Scalar;
  });
}

/** LayerNorm (Ba et al. 2016) over the last axis: g * (x - mean) / sqrt(var + 1e-5) + b. */
export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(g).add(b);
  });
}

/**
 * GELU, tanh form (Hendrycks & Gimpel 2016, arXiv:1606.08415), as in GPT-2:
 *   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2 / pi) (x + 0.044715 x^3)
 * computed as x * sigmoid(2u), the same function (0.5 (1 + tanh(u)) = sigmoid(2u)): tfjs's wasm
 * tanh is a scalar loop several times slower than its sigmoid, and this is the char LM's widest
 * elementwise op.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const twoU = x.mul(x.square().mul(0.044715).add(1)).mul(2 * Math.sqrt(2 / Math.PI));
    return x.mul(tf.sigmoid(twoU));
  });
}

/**
 * The additive causal mask M [T, T] of the attention scores: M_ij = 0 for j <= i, -1e9 for j > i.
 * Built on the host in one upload (tf.linalg.bandPart builds it from about twenty small ops).
 */
export function additiveCausalMask(T: number): tf.Tensor2D {
  checkInt('T', T, 1);
  const values = new Float32Array(T * T);
  for (let i = 0; i < T; i++) values.fill(-1e9, i * T + i + 1, (i + 1) * T);
  return tf.tensor2d(values, [T, T]);
}

export class CharLm {
  readonly config: CharLmConfig;
  readonly params: Params;
  /** `additiveCausalMask(contextLength)`, made once: a window of T characters reads its top-left [T, T]. */
  private readonly causalMaskCC: tf.Tensor2D;

  constructor(config: CharLmConfig) {
    this.config = checkCharLmConfig({ ...config });
    const { vocabSize: V, contextLength: T, dModel: D, nLayers: L, mlpRatio } = this.config;
    const rng = new Rng(this.config.seed);
    const p = new Params('charlm');
    const std = 0.02;
    const projStd = std / Math.sqrt(2 * L);
    p.add('wte', init.normal(rng, [V, D], std));
    p.add('wpe', init.normal(rng, [T, D], std));
    for (let l = 0; l < L; l++) {
      p.add(`h${l}.ln1.g`, init.constant([D], 1));
      p.add(`h${l}.ln1.b`, init.zeros([D]));
      p.add(`h${l}.attn.wQkv`, init.normal(rng, [D, 3 * D], std));
      p.add(`h${l}.attn.bQkv`, init.zeros([3 * D]));
      p.add(`h${l}.attn.wOut`, init.normal(rng, [D, D], projStd));
      p.add(`h${l}.attn.bOut`, init.zeros([D]));
      p.add(`h${l}.ln2.g`, init.constant([D], 1));
      p.add(`h${l}.ln2.b`, init.zeros([D]));
      p.add(`h${l}.mlp.wIn`, init.normal(rng, [D, mlpRatio * D], std));
      p.add(`h${l}.mlp.bIn`, init.zeros([mlpRatio * D]));
      p.add(`h${l}.mlp.wOut`, init.normal(rng, [mlpRatio * D, D], projStd));
      p.add(`h${l}.mlp.bOut`, init.zeros([D]));
    }
    p.add('lnf.g', init.constant([D], 1));
    p.add('lnf.b', init.zeros([D]));
    this.params = p;
    this.causalMaskCC = additiveCausalMask(T);
  }

  /** A model with the given weights (e.g. decoded from a checkpoint); copies them, so the caller keeps `tensors`. */
  static fromTensors(config: CharLmConfig, tensors: Record<string, tf.Tensor>): CharLm {
    const model = new CharLm(config);
    const missing = model.params.missingFrom(tensors);
    if (missing.length > 0) {
      model.dispose();
      throw new ConfigError('tensors', `missing ${missing.join(', ')}`);
    }
    model.params.assign(tensors);
    return model;
  }

  /** Width of the residual stream (D). */
  get dModel(): number {
    return this.config.dModel;
  }

  /**
   * The residual stream after `layer` blocks (0: the embeddings, nLayers: the last block).
   * @param idsBT [B, T] int32 token ids, T <= contextLength  @returns [B, T, D]
   */
  residualStream(idsBT: tf.Tensor2D, layer = this.config.nLayers): tf.Tensor3D {
    checkInt('layer', layer, 0, this.config.nLayers);
    this.checkIds(idsBT);
    return tf.tidy(() => {
      const [B, T] = idsBT.shape;
      const { vocabSize: V, dModel: D } = this.config;
      const p = this.params;
      // Embedding lookup as one-hot x W_te: the gather op has no gradient on the wasm backend.
      const tok = tf
        .oneHot(idsBT.reshape([B * T]), V)
        .matMul(p.get('wte'))
        .reshape([B, T, D]);
      let x = tok.add(p.get('wpe').slice([0, 0], [T, -1])) as tf.Tensor3D;
      for (let l = 0; l < layer; l++) x = this.block(x, l);
      return x;
    });
  }

  /** Next-token logits. @param idsBT [B, T] int32  @returns [B, T, V] */
  logits(idsBT: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.logitsFromResidual(this.residualStream(idsBT, 0), 0));
  }

  /**
   * Next-token logits from a residual stream after `layer` blocks: the blocks layer..L-1,
   * then LN_f and the tied unembedding. `logitsFromResidual(residualStream(ids, l), l)` equals
   * `logits(ids)`; passing an edited stream instead is how the evaluation splices an SAE's
   * reconstruction in, ablates the layer or steers the model.
   * @param residBTD [B, T, D]  @returns [B, T, V]
   */
  logitsFromResidual(residBTD: tf.Tensor3D, layer: number): tf.Tensor3D {
    checkInt('layer', layer, 0, this.config.nLayers);
    checkShape('residBTD', residBTD, [null, null, this.config.dModel]);
    const T = residBTD.shape[1];
    if (T < 1 || T > this.config.contextLength) {
      throw new ConfigError('residBTD', `sequence length must be in [1, ${this.config.contextLength}], got ${T}`);
    }
    return tf.tidy(() => {
      const p = this.params;
      let h = residBTD;
      for (let l = layer; l < this.config.nLayers; l++) h = this.block(h, l);
      const x = layerNorm(h, p.get('lnf.g'), p.get('lnf.b'));
      const [B, , D] = x.shape as [number, number, number];
      return x
        .reshape([B * T, D])
        .matMul(p.get('wte'), false, true)
        .reshape([B, T, this.config.vocabSize]) as tf.Tensor3D;
    });
  }

  /**
   * Mean next-character cross-entropy (nats/char) of predicting targets from ids.
   * @param idsBT [B, T] int32  @param targetsBT [B, T] int32 (ids shifted left by one)
   */
  loss(idsBT: tf.Tensor2D, targetsBT: tf.Tensor2D): tf.Scalar {
    checkShape('targetsBT', targetsBT, idsBT.shape);
    return tf.tidy(() => {
      const logitsBTV = this.logits(idsBT);
      const [B, T, V] = logitsBTV.shape;
      return crossEntropy(logitsBTV.reshape([B * T, V]) as tf.Tensor2D, targetsBT.reshape([B * T]) as tf.Tensor1D);
    });
  }

  dispose(): void {
    this.params.dispose();
    this.causalMaskCC.dispose();
  }

  /**
   * Block l's MLP, MLP(h) = GELU(h W_in + b_in) W_out + b_out, on its input h = LN2(x_l').
   * @param hND [N, D]  @returns [N, D]
   */
  mlp(hND: tf.Tensor2D, l: number): tf.Tensor2D {
    checkInt('block', l, 0, this.config.nLayers - 1);
    checkShape('hND', hND, [null, this.config.dModel]);
    return tf.tidy(() => {
      const p = this.params;
      const hidden = gelu(hND.matMul(p.get(`h${l}.mlp.wIn`)).add(p.get(`h${l}.mlp.bIn`)));
      return hidden.matMul(p.get(`h${l}.mlp.wOut`)).add(p.get(`h${l}.mlp.bOut`)) as tf.Tensor2D;
    });
  }

  /**
   * Block l's MLP input h = LN2(x_l') and output MLP(h) at every position: the pairs a
   * transcoder learns to map (src/sae/transcoder.ts).
   * @param idsBT [B, T] int32  @returns inputND, outputND [B*T, D], row b*T + t
   */
  mlpInputOutput(idsBT: tf.Tensor2D, l: number): { inputND: tf.Tensor2D; outputND: tf.Tensor2D } {
    checkInt('block', l, 0, this.config.nLayers - 1);
    return tf.tidy(() => {
      const inputND = this.mlpInput(this.attentionHalf(this.residualStream(idsBT, l), l), l);
      return { inputND, outputND: this.mlp(inputND, l) };
    });
  }

  /**
   * Next-token logits with block l's MLP replaced by `replacement` (h [N, D] -> [N, D]): a
   * transcoder's prediction, zero or mean ablation. The rest of the model runs as trained.
   * @param idsBT [B, T] int32  @returns [B, T, V]
   */
  logitsWithMlp(idsBT: tf.Tensor2D, l: number, replacement: (hND: tf.Tensor2D) => tf.Tensor2D): tf.Tensor3D {
    checkInt('block', l, 0, this.config.nLayers - 1);
    return tf.tidy(() => this.logitsFromResidual(this.block(this.residualStream(idsBT, l), l, replacement), l + 1));
  }

  /** One pre-LN block: x + Attn(LN1(x)), then + MLP(LN2(.)) (or `mlp` in its place). @param xBTD [B, T, D] */
  private block(xBTD: tf.Tensor3D, l: number, mlp = (h: tf.Tensor2D) => this.mlp(h, l)): tf.Tensor3D {
    const x = this.attentionHalf(xBTD, l);
    const m = mlp(this.mlpInput(x, l));
    return x.add(m.reshape(x.shape)) as tf.Tensor3D;
  }

  /** x' = x + Attn(LN1(x)), the first half of block l. @param xBTD [B, T, D] */
  private attentionHalf(xBTD: tf.Tensor3D, l: number): tf.Tensor3D {
    const p = this.params;
    const a = this.attention(layerNorm(xBTD, p.get(`h${l}.ln1.g`), p.get(`h${l}.ln1.b`)) as tf.Tensor3D, l);
    return xBTD.add(a) as tf.Tensor3D;
  }

  /** LN2(x') flattened to rows, the MLP's input. @param xBTD [B, T, D]  @returns [B*T, D] */
  private mlpInput(xBTD: tf.Tensor3D, l: number): tf.Tensor2D {
    const p = this.params;
    const [B, T, D] = xBTD.shape;
    return layerNorm(xBTD, p.get(`h${l}.ln2.g`), p.get(`h${l}.ln2.b`)).reshape([B * T, D]) as tf.Tensor2D;
  }

  /** Causal multi-head self-attention. @param hBTD [B, T, D]  @returns [B, T, D] */
  private attention(hBTD: tf.Tensor3D, l: number): tf.Tensor3D {
    const p = this.params;
    const [B, T, D] = hBTD.shape;
    const H = this.config.nHeads;
    const dh = D / H;
    const qkv = hBTD
      .reshape([B * T, D])
      .matMul(p.get(`h${l}.attn.wQkv`))
      .add(p.get(`h${l}.attn.bQkv`));
    // [B*T, 3D] -> three [B, H, T, dh]
    const heads = (i: number) =>
      qkv
        .slice([0, i * D], [B * T, D])
        .reshape([B, T, H, dh])
        .transpose([0, 2, 1, 3]);
    const q = heads(0);
    const k = heads(1);
    const v = heads(2);
    const maskTT = T === this.config.contextLength ? this.causalMaskCC : this.causalMaskCC.slice([0, 0], [T, T]);
    const scoresBHTT = tf
      .matMul(q, k, false, true)
      .mul(1 / Math.sqrt(dh))
      .add(maskTT);
    const outBHTd = tf.matMul(tf.softmax(scoresBHTT), v);
    const out = outBHTd.transpose([0, 2, 1, 3]).reshape([B * T, D]);
    return out
      .matMul(p.get(`h${l}.attn.wOut`))
      .add(p.get(`h${l}.attn.bOut`))
      .reshape([B, T, D]) as tf.Tensor3D;
  }

  private checkIds(idsBT: tf.Tensor2D): void {
    checkShape('idsBT', idsBT, [null, null]);
    if (idsBT.dtype !== 'int32') throw new ConfigError('idsBT', `must be int32, got ${idsBT.dtype}`);
    const T = idsBT.shape[1];
    if (T < 1 || T > this.config.contextLength) {
      throw new ConfigError('idsBT', `sequence length must be in [1, ${this.config.contextLength}], got ${T}`);
    }
  }
}

/** Token ids of the windows starting at `starts`, shifted by `offset` (0: inputs, 1: targets), row-major [B, T]. */
export function windowIds(tokens: Int32Array, starts: ArrayLike<number>, T: number, offset: number): Int32Array {
  const out = new Int32Array(starts.length * T);
  for (let b = 0; b < starts.length; b++) out.set(tokens.subarray(starts[b] + offset, starts[b] + offset + T), b * T);
  return out;
}

/**
 * A random batch of windows from `tokens`: ids [B, T] and targets [B, T] (the same
 * windows shifted by one character). Plain arrays; the caller makes tensors.
 */
export function sampleWindows(
  tokens: Int32Array,
  batchSize: number,
  T: number,
  rng: Rng,
): { ids: Int32Array; targets: Int32Array } {
  checkInt('batchSize', batchSize, 1);
  if (tokens.length < T + 1) throw new ConfigError('tokens', `need at least ${T + 1} tokens, got ${tokens.length}`);
  const ids = new Int32Array(batchSize * T);
  const targets = new Int32Array(batchSize * T);
  for (let b = 0; b < batchSize; b++) {
    const start = rng.int(tokens.length - T);
    ids.set(tokens.subarray(start, start + T), b * T);
    targets.set(tokens.subarray(start + 1, start + T + 1), b * T);
  }
  return { ids, targets };
}

export interface CharLmTrainOptions {
  steps: number;
  batchSize?: number;
  /** Peak learning rate (Adam); linear warm-up then cosine decay to 10%. */
  lr?: number;
  warmupSteps?: number;
  /** Seed for the order of training windows. */
  seed?: number;
  logEvery?: number;
  callbacks?: TrainCallbacks | TrainCallbacks[];
  shouldStop?(): boolean;
}

/** Trains `model` on random windows of `tokens` with Adam (clipNorm 1); returns the loss history. */
export async function trainCharLm(
  model: CharLm,
  tokens: Int32Array,
  options: CharLmTrainOptions,
): Promise<MetricHistory> {
  const {
    steps,
    batchSize = 32,
    lr = 3e-3,
    warmupSteps = Math.min(100, Math.floor(steps / 10)),
    seed = 1,
    logEvery = 10,
  } = options;
  checkInt('steps', steps, 1);
  checkNumber('lr', lr, { min: 0, minOpen: true });
  const T = model.config.contextLength;
  const rng = new Rng(seed);
  const schedule = makeSchedule({ lr, warmupSteps, totalSteps: steps, decay: 'cosine', finalFraction: 0.1 });
  const opt = new Adam(model.params.trainable(), { lr: schedule, beta2: 0.99, clipNorm: 1 });
  try {
    return await trainLoop({
      steps,
      logEvery,
      callbacks: options.callbacks,
      shouldStop: options.shouldStop,
      step: () => {
        const { ids, targets } = sampleWindows(tokens, batchSize, T, rng);
        const idsBT = tf.tensor2d(ids, [batchSize, T], 'int32');
        const targetsBT = tf.tensor2d(targets, [batchSize, T], 'int32');
        const { loss, grads } = model.params.gradients(() => model.loss(idsBT, targetsBT));
        opt.step(grads);
        tf.dispose([idsBT, targetsBT, grads]);
        return { loss };
      },
    });
  } finally {
    opt.dispose();
  }
}

/**
 * Mean loss (nats/char) over the first `maxTokens` predictions of `tokens`, read as
 * consecutive non-overlapping windows of contextLength + 1 characters (so early positions
 * in each window see a shorter context, as in training). Deterministic.
 */
export async function evaluateCharLm(
  model: CharLm,
  tokens: Int32Array,
  options: { maxTokens?: number; batchSize?: number } = {},
): Promise<number> {
  const T = model.config.contextLength;
  const batchSize = checkInt('batchSize', options.batchSize ?? 64, 1);
  const windows = Math.floor(Math.min(tokens.length - 1, options.maxTokens ?? Infinity) / T);
  if (windows < 1) throw new ConfigError('tokens', `need at least ${T + 1} tokens, got ${tokens.length}`);
  let total = 0;
  for (let w0 = 0; w0 < windows; w0 += batchSize) {
    const B = Math.min(batchSize, windows - w0);
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = (w0 + b) * T;
      ids.set(tokens.subarray(start, start + T), b * T);
      targets.set(tokens.subarray(start + 1, start + T + 1), b * T);
    }
    const loss = tf.tidy(() => model.loss(tf.tensor2d(ids, [B, T], 'int32'), tf.tensor2d(targets, [B, T], 'int32')));
    total += (await loss.data())[0] * B;
    loss.dispose();
  }
  return total / windows;
}

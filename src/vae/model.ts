/**
 * The Gaussian VAE's two networks (Kingma & Welling 2013, "Auto-Encoding Variational Bayes",
 * arXiv:1312.6114, Sec. 3 and App. C):
 *
 *   encoder  q(z|x) = N(mu(x), diag exp(logVar(x)))      x [B, D] -> mu [B, Z], logVar [B, Z]
 *   decoder  p(x|z) = Bernoulli(sigmoid(logits(z)))       z [B, Z] -> logits [B, D]
 *            or      N(mean(z), sigma^2 I), sigma fixed    z [B, Z] -> mean [B, D]
 *
 * Two architectures on the same interface:
 *   'mlp'   x -> [dense + activation] x hidden.length -> (mu, logVar); the decoder mirrors it.
 *   'conv'  for 28x28 images: two 3x3 stride-2 convolutions (28 -> 14 -> 7), then the dense
 *           `hidden` layers; the decoder mirrors it with two 2x upsampling convolutions
 *           (7 -> 14 -> 28) in the sub-pixel form (Shi et al. 2016, arXiv:1609.05158): a 3x3
 *           convolution to 4 C channels, then each pixel's 4 groups become a 2x2 block.
 *           Convolutions are written as im2col + matmul (`conv3x3`), because tfjs's wasm
 *           backend has no Conv2DBackpropFilter kernel: autodiff of tf.conv2d fails there.
 *           (Stride 2 computes the stride-1 result and keeps a quarter: 4x the FLOPs of a
 *           strided kernel, but every op stays on a fast path.)
 *
 * Written as plain functions of named parameters (no tf.layers) so that every line of the
 * math is visible; the parameters live in one core `Params` with seeded initialisation.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ConfigError,
  LIMITS,
  Params,
  type Rng,
  checkInt,
  checkNumber,
  checkOneOf,
  checkParamCount,
  checkShape,
  describeValue,
  init,
} from '../core';

export const ACTIVATIONS = ['relu', 'tanh', 'softplus', 'elu', 'leakyRelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export const LIKELIHOODS = ['bernoulli', 'gaussian'] as const;
export type Likelihood = (typeof LIKELIHOODS)[number];
export const ARCHITECTURES = ['mlp', 'conv'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface VaeConfig {
  /** 'mlp' (any D) or 'conv' (D must be 784: 28x28 grey images). */
  arch: Architecture;
  /** D, the input size (784 for flattened MNIST, 2 for the toy data). */
  inputDim: number;
  /** Z, the latent size (Kingma & Welling use 2-20 on MNIST; 2 gives the latent-grid picture). */
  latentDim: number;
  /** Dense hidden sizes of the encoder; the decoder uses them in reverse. */
  hidden: number[];
  /** Nonlinearity after every hidden layer. */
  activation: Activation;
  /** 'bernoulli' for [0, 1] images (the decoder returns logits), 'gaussian' for real data (returns means). */
  likelihood: Likelihood;
  /** The fixed standard deviation of the Gaussian decoder (unused for Bernoulli). */
  sigma: number;
  /** Channels of the two convolutions in the 'conv' variant. */
  convChannels: [number, number];
}

/** Defaults: a one-hidden-layer MLP as in Kingma & Welling's MNIST experiments (they used 500 units). */
export const DEFAULT_VAE_CONFIG: VaeConfig = {
  arch: 'mlp',
  inputDim: 784,
  latentDim: 20,
  hidden: [512],
  activation: 'relu',
  likelihood: 'bernoulli',
  sigma: 1,
  convChannels: [32, 64],
};

/** Options of the `Vae` constructor that are not part of the model's config. */
export interface VaeOptions {
  /** Largest parameter count built (default LIMITS.maxParameters, 2^28 = 1 GiB of float32). */
  maxParameters?: number;
}

/**
 * Validates a (partial) config against the defaults and returns the full one; throws ConfigError
 * naming the field (an unknown field names the known ones). Every size is an integer of at
 * most `maxParameters`, so 1e300 is refused here, before any product of sizes is formed.
 */
export function resolveVaeConfig(
  partial: Partial<VaeConfig> = {},
  { maxParameters = LIMITS.maxParameters }: VaeOptions = {},
): VaeConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial))
    throw new ConfigError('config', `must be an object of VaeConfig fields, got ${describeValue(partial)}`);
  const known = Object.keys(DEFAULT_VAE_CONFIG);
  for (const key of Object.keys(partial)) {
    if (!known.includes(key))
      throw new ConfigError(key, `is not a VaeConfig field; the fields are ${known.join(', ')}`);
  }
  const c: VaeConfig = { ...DEFAULT_VAE_CONFIG, ...partial };
  checkOneOf('arch', c.arch, ARCHITECTURES);
  checkInt('inputDim', c.inputDim, 1, maxParameters);
  checkInt('latentDim', c.latentDim, 1, 4096);
  if (!Array.isArray(c.hidden))
    throw new ConfigError('hidden', `must be an array of layer sizes, got ${describeValue(c.hidden)}`);
  c.hidden.forEach((h, i) => checkInt(`hidden[${i}]`, h, 1, maxParameters));
  checkOneOf('activation', c.activation, ACTIVATIONS);
  checkOneOf('likelihood', c.likelihood, LIKELIHOODS);
  checkNumber('sigma', c.sigma, { min: 0, minOpen: true });
  if (!Array.isArray(c.convChannels) || c.convChannels.length !== 2)
    throw new ConfigError('convChannels', `must be two channel counts, got ${describeValue(c.convChannels)}`);
  c.convChannels.forEach((ch, i) => checkInt(`convChannels[${i}]`, ch, 1, maxParameters));
  if (c.arch === 'conv' && c.inputDim !== 784)
    throw new ConfigError('inputDim', `the 'conv' architecture takes 28x28 images (inputDim 784), got ${c.inputDim}`);
  const resolved = { ...c, hidden: [...c.hidden], convChannels: [...c.convChannels] as [number, number] };
  checkParamCount('config', vaeParamCount(resolved), maxParameters);
  return resolved;
}

/**
 * The parameter count of a VAE with this (valid) config, computed without building it:
 * a dense layer a -> b has a*b + b, a 3x3 convolution c -> c' has 9*c*c' + c'.
 */
export function vaeParamCount(c: VaeConfig): number {
  const dense = (a: number, b: number) => a * b + b;
  const conv = (a: number, b: number) => 9 * a * b + b;
  let n = 0;
  let width = c.inputDim;
  if (c.arch === 'conv') {
    const [c1, c2] = c.convChannels;
    n += conv(1, c1) + conv(c1, c2) + conv(c2, 4 * c1) + conv(c1, 4);
    width = 7 * 7 * c2;
  }
  const outWidth = width;
  for (const h of c.hidden) {
    n += dense(width, h);
    width = h;
  }
  n += 2 * dense(width, c.latentDim);
  width = c.latentDim;
  for (const h of [...c.hidden].reverse()) {
    n += dense(width, h);
    width = h;
  }
  return n + dense(width, outWidth);
}

/** Applies the named nonlinearity. */
export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softplus':
      return tf.softplus(x);
    case 'elu':
      return tf.elu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, 0.2);
  }
}

/** A dense layer: x W + b.  @param x [B, in]  @param w [in, out]  @param b [out]  @returns [B, out] */
export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return x.matMul(w as tf.Tensor2D).add(b);
}

const SIDE = 28; // the conv variant's image side

/**
 * A Gaussian VAE: `encode`, `decode` and the parameters. The loss functions (kl.ts, elbo.ts,
 * iwae.ts) take a model and a batch; this class holds no training state.
 */
export class Vae {
  readonly config: VaeConfig;
  readonly params: Params;

  /**
   * Builds the networks with seeded initial weights (Kaiming-uniform for ReLU-like, Xavier otherwise).
   * A config over `opts.maxParameters` parameters is a ConfigError before anything is allocated.
   */
  constructor(config: Partial<VaeConfig>, rng: Rng, opts: VaeOptions = {}) {
    this.config = resolveVaeConfig(config, opts);
    this.params = new Params('vae');
    const c = this.config;
    // A layer followed by a ReLU-like activation gets Kaiming init; linear outputs get Xavier.
    const addDense = (name: string, fanIn: number, fanOut: number, feedsActivation = true) => {
      const kaiming =
        feedsActivation && (c.activation === 'relu' || c.activation === 'leakyRelu' || c.activation === 'elu');
      this.params.add(
        `${name}.W`,
        kaiming ? init.kaimingUniform(rng, [fanIn, fanOut]) : init.xavierUniform(rng, [fanIn, fanOut]),
      );
      this.params.add(`${name}.b`, init.zeros([fanOut]));
    };
    let width = c.inputDim;
    if (c.arch === 'conv') {
      const [c1, c2] = c.convChannels;
      // Filters [3, 3, in, out]; an upsampling filter has 4x the output channels (one per 2x2 sub-pixel).
      this.params.add('enc.conv1.W', convInit(rng, [3, 3, 1, c1]));
      this.params.add('enc.conv1.b', init.zeros([c1]));
      this.params.add('enc.conv2.W', convInit(rng, [3, 3, c1, c2]));
      this.params.add('enc.conv2.b', init.zeros([c2]));
      this.params.add('dec.up1.W', convInit(rng, [3, 3, c2, 4 * c1]));
      this.params.add('dec.up1.b', init.zeros([4 * c1]));
      this.params.add('dec.up2.W', convInit(rng, [3, 3, c1, 4], false));
      this.params.add('dec.up2.b', init.zeros([4]));
      width = 7 * 7 * c2;
    }
    const flatWidth = width;
    c.hidden.forEach((h, i) => {
      addDense(`enc.dense${i}`, width, h);
      width = h;
    });
    // The heads are linear: Xavier, and logVar starts near 0 (sigma near 1).
    addDense('enc.mu', width, c.latentDim, false);
    addDense('enc.logVar', width, c.latentDim, false);
    width = c.latentDim;
    [...c.hidden].reverse().forEach((h, i) => {
      addDense(`dec.dense${i}`, width, h);
      width = h;
    });
    addDense('dec.out', width, c.arch === 'conv' ? flatWidth : c.inputDim, c.arch === 'conv');
  }

  /** Z, the latent size. */
  get latentDim(): number {
    return this.config.latentDim;
  }

  /** Throws an InputError unless `x` is [B, D] with B >= 1 (checkShape's `null` matches sizes >= 1). */
  checkInput(xBD: tf.Tensor, argument = 'x'): void {
    checkShape(argument, xBD, [null, this.config.inputDim]);
  }

  /**
   * q(z|x): the encoder's mean and log-variance.
   * @param xBD [B, D]  @returns muBZ [B, Z], logVarBZ [B, Z]
   */
  encode(xBD: tf.Tensor2D): { muBZ: tf.Tensor2D; logVarBZ: tf.Tensor2D } {
    this.checkInput(xBD);
    return tf.tidy(() => {
      const c = this.config;
      const p = (n: string) => this.params.get(n);
      let h: tf.Tensor2D = xBD;
      if (c.arch === 'conv') {
        const img = xBD.reshape([-1, SIDE, SIDE, 1]) as tf.Tensor4D;
        const h1 = activate(conv3x3(img, p('enc.conv1.W'), p('enc.conv1.b'), 2), c.activation) as tf.Tensor4D; // [B, 14, 14, c1]
        const h2 = activate(conv3x3(h1, p('enc.conv2.W'), p('enc.conv2.b'), 2), c.activation); // [B, 7, 7, c2]
        h = h2.reshape([xBD.shape[0], -1]);
      }
      c.hidden.forEach((_, i) => {
        h = activate(dense(h, p(`enc.dense${i}.W`), p(`enc.dense${i}.b`)), c.activation) as tf.Tensor2D;
      });
      const muBZ = dense(h, p('enc.mu.W'), p('enc.mu.b'));
      const logVarBZ = dense(h, p('enc.logVar.W'), p('enc.logVar.b'));
      return { muBZ, logVarBZ };
    });
  }

  /**
   * The decoder's output in parameter space: Bernoulli logits, or Gaussian means.
   * @param zBZ [B, Z]  @returns [B, D]
   */
  decode(zBZ: tf.Tensor2D): tf.Tensor2D {
    checkShape('z', zBZ, [null, this.config.latentDim]);
    return tf.tidy(() => {
      const c = this.config;
      const p = (n: string) => this.params.get(n);
      let h: tf.Tensor2D = zBZ;
      c.hidden.forEach((_, i) => {
        h = activate(dense(h, p(`dec.dense${i}.W`), p(`dec.dense${i}.b`)), c.activation) as tf.Tensor2D;
      });
      const out = dense(h, p('dec.out.W'), p('dec.out.b'));
      if (c.arch === 'mlp') return out;
      const c2 = c.convChannels[1];
      const b = zBZ.shape[0];
      const h7 = activate(out, c.activation).reshape([b, 7, 7, c2]) as tf.Tensor4D;
      const h14 = activate(upsample2x(h7, p('dec.up1.W'), p('dec.up1.b')), c.activation) as tf.Tensor4D; // [B, 14, 14, c1]
      const h28 = upsample2x(h14, p('dec.up2.W'), p('dec.up2.b')); // [B, 28, 28, 1]
      return h28.reshape([b, SIDE * SIDE]) as tf.Tensor2D;
    });
  }

  /**
   * The decoder's mean in data space: sigmoid(logits) (pixel probabilities) or the Gaussian mean.
   * @param zBZ [B, Z]  @returns [B, D]
   */
  decodeMean(zBZ: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const out = this.decode(zBZ);
      return this.config.likelihood === 'bernoulli' ? tf.sigmoid(out) : out;
    });
  }

  /** Frees the parameters. */
  dispose(): void {
    this.params.dispose();
  }
}

/**
 * A 3x3 convolution with 'same' padding (TensorFlow's convention) as im2col + matmul:
 * the 9 shifted copies of the zero-padded x are stacked along channels, then one
 * [B*H*W, 9 C] x [9 C, C'] matmul. Stride 2 keeps the odd rows and columns of the stride-1
 * result: TensorFlow's 'same' stride-2 window for output i covers input rows 2i..2i+2 (the
 * padding goes at the bottom), which is the stride-1 window centred on row 2i + 1. Only
 * pad/slice/reshape/concat/matMul, all differentiable on every backend.
 * @param x [B, H, W, C]  @param w [3, 3, C, C']  @param b [C']  @param stride 1 or 2 (H, W even)  @returns [B, H/stride, W/stride, C']
 */
export function conv3x3(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor, stride: 1 | 2): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, h, wd, ch] = x.shape;
    const cout = w.shape[3] as number;
    const padded = x.pad([
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    const patches: tf.Tensor[] = [];
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++)
        patches.push(padded.slice([0, dy, dx, 0], [batch, h, wd, ch]).reshape([batch * h * wd, ch]));
    }
    const cols = tf.concat(patches, 1); // [B*H*W, 9 C], (dy, dx, c) order = w's layout
    const full = cols.matMul(w.reshape([9 * ch, cout])).add(b);
    if (stride === 1) return full.reshape([batch, h, wd, cout]) as tf.Tensor4D;
    // [B*H/2, 2, W/2, 2 C']: row parity on axis 1, column parity in the channel halves
    const [ho, wo] = [h / 2, wd / 2];
    return full
      .reshape([batch * ho, 2, wo, 2 * cout])
      .slice([0, 1, 0, cout], [batch * ho, 1, wo, cout])
      .reshape([batch, ho, wo, cout]) as tf.Tensor4D;
  });
}

/**
 * 2x upsampling by a sub-pixel convolution: a stride-1 3x3 convolution to 4 C' channels,
 * then channel group (i, j) becomes pixel (2y + i, 2x + j).
 * @param x [B, H, W, C]  @param w [3, 3, C, 4 C']  @param b [4 C']  @returns [B, 2H, 2W, C']
 */
export function upsample2x(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, h, wd] = x.shape;
    const cout = (w.shape[3] as number) / 4;
    return conv3x3(x, w, b, 1)
      .reshape([batch, h, wd, 2, 2, cout])
      .transpose([0, 1, 3, 2, 4, 5])
      .reshape([batch, 2 * h, 2 * wd, cout]) as tf.Tensor4D;
  });
}

function convInit(rng: Rng, shape: [number, number, number, number], kaiming = true): tf.Tensor {
  const fanIn = shape[0] * shape[1] * shape[2];
  const bound = kaiming ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + shape[0] * shape[1] * shape[3]));
  return rng.randomUniform(shape, -bound, bound);
}

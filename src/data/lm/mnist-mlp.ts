/**
 * A one-hidden-layer MLP classifier on MNIST and its hidden-layer activations as an
 * `ActivationSource` (browser-safe; plain tfjs ops).
 *
 *   h = ReLU(x W_1 + b_1)          x in [0,1]^784, h in R^H (H = 256)
 *   logits = h W_2 + b_2           softmax cross-entropy over the 10 digits
 *
 * The multilayer perceptron of Rumelhart, Hinton & Williams 1986, trained with Adam
 * (Kingma & Ba 2015, arXiv:1412.6980); Kaiming-uniform initial weights (He et al. 2015).
 * The hidden vector h is a small real model's representation for an SAE to take apart:
 * each row of the source keeps its image index and label.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, checkInt, checkNumber } from '../../base/errors';
import { Params, init } from '../../core/params';
import { Rng } from '../../core/random';
import { Adam } from '../../core/optim';
import { type MetricHistory, type TrainCallbacks, trainLoop } from '../../core/train';
import type { ActivationSource } from '../source';
import { crossEntropy } from './char-lm';

export interface MnistMlpConfig {
  inputDim: number;
  hiddenDim: number;
  classes: number;
  seed: number;
}

/** The shipped classifier's shape: 784-256-10. */
export const DEFAULT_MNIST_MLP: MnistMlpConfig = { inputDim: 784, hiddenDim: 256, classes: 10, seed: 0 };

/** Images and labels as plain arrays (the `ImageSet` of src/data/idx.ts fits). */
export interface LabelledImages {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export class MnistMlp {
  readonly config: MnistMlpConfig;
  readonly params: Params;

  constructor(config: MnistMlpConfig) {
    checkInt('inputDim', config.inputDim, 1);
    checkInt('hiddenDim', config.hiddenDim, 1);
    checkInt('classes', config.classes, 2);
    checkInt('seed', config.seed, 0, 2 ** 32 - 1);
    this.config = { ...config };
    const { inputDim: D, hiddenDim: H, classes: C } = config;
    const rng = new Rng(config.seed);
    this.params = new Params('mnistmlp');
    this.params.add('W1', init.kaimingUniform(rng, [D, H]));
    this.params.add('b1', init.zeros([H]));
    this.params.add('W2', init.kaimingUniform(rng, [H, C]));
    this.params.add('b2', init.zeros([C]));
  }

  /** A model with the given weights (e.g. decoded from a checkpoint); copies them, so the caller keeps `tensors`. */
  static fromTensors(config: MnistMlpConfig, tensors: Record<string, tf.Tensor>): MnistMlp {
    const model = new MnistMlp(config);
    const missing = model.params.missingFrom(tensors);
    if (missing.length > 0) {
      model.dispose();
      throw new InputError('tensors', `missing ${missing.join(', ')}`);
    }
    model.params.assign(tensors);
    return model;
  }

  /** Hidden activations h = ReLU(x W_1 + b_1). @param xBD [B, 784] @returns [B, H] */
  hidden(xBD: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.relu(xBD.matMul(this.params.get('W1')).add(this.params.get('b1'))) as tf.Tensor2D);
  }

  /** Class logits. @param xBD [B, 784] @returns [B, 10] */
  logits(xBD: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.hidden(xBD).matMul(this.params.get('W2')).add(this.params.get('b2')) as tf.Tensor2D);
  }

  /** Mean softmax cross-entropy. @param xBD [B, 784] @param labelsB [B] int32 */
  loss(xBD: tf.Tensor2D, labelsB: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => crossEntropy(this.logits(xBD), labelsB));
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Trains `model` with Adam on shuffled minibatches for `epochs` passes; returns the loss history. */
export async function trainMnistMlp(
  model: MnistMlp,
  data: LabelledImages,
  options: {
    epochs?: number;
    batchSize?: number;
    lr?: number;
    seed?: number;
    logEvery?: number;
    callbacks?: TrainCallbacks | TrainCallbacks[];
  } = {},
): Promise<MetricHistory> {
  const { epochs = 2, batchSize = 128, lr = 1e-3, seed = 1, logEvery = 50 } = options;
  checkInt('epochs', epochs, 1);
  checkInt('batchSize', batchSize, 1, data.count);
  checkNumber('lr', lr, { min: 0, minOpen: true });
  const D = model.config.inputDim;
  const rng = new Rng(seed);
  const perEpoch = Math.floor(data.count / batchSize);
  let order: Int32Array = new Int32Array(0);
  const opt = new Adam(model.params.trainable(), { lr });
  try {
    return await trainLoop({
      steps: epochs * perEpoch,
      logEvery,
      callbacks: options.callbacks,
      step: (i) => {
        if (i % perEpoch === 0) order = rng.shuffle(Int32Array.from({ length: data.count }, (_, j) => j)) as Int32Array;
        const x = new Float32Array(batchSize * D);
        const y = new Int32Array(batchSize);
        for (let b = 0; b < batchSize; b++) {
          const k = order[(i % perEpoch) * batchSize + b];
          x.set(data.images.subarray(k * D, (k + 1) * D), b * D);
          y[b] = data.labels[k];
        }
        const xBD = tf.tensor2d(x, [batchSize, D]);
        const yB = tf.tensor1d(y, 'int32');
        const { loss, grads } = model.params.gradients(() => model.loss(xBD, yB));
        opt.step(grads);
        tf.dispose([xBD, yB, grads]);
        return { loss };
      },
    });
  } finally {
    opt.dispose();
  }
}

/** Runs `fn` on consecutive batches of `data` (each [B, 784]) and concatenates the read-back rows. */
async function mapBatches(
  model: MnistMlp,
  data: LabelledImages,
  width: number,
  fn: (xBD: tf.Tensor2D) => tf.Tensor2D,
  batchSize = 1000,
): Promise<Float32Array> {
  const D = model.config.inputDim;
  if (data.images.length !== data.count * D)
    throw new InputError('images', `expected ${data.count} x ${D} values, got ${data.images.length}`);
  const out = new Float32Array(data.count * width);
  for (let s = 0; s < data.count; s += batchSize) {
    const n = Math.min(batchSize, data.count - s);
    const y = tf.tidy(() => fn(tf.tensor2d(data.images.subarray(s * D, (s + n) * D), [n, D])));
    out.set(await y.data(), s * width);
    y.dispose();
  }
  return out;
}

/** Fraction of `data` whose arg-max logit equals the label. */
export async function mnistMlpAccuracy(model: MnistMlp, data: LabelledImages): Promise<number> {
  const C = model.config.classes;
  const logits = await mapBatches(model, data, C, (x) => model.logits(x));
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c] > logits[i * C + best]) best = c;
    if (best === data.labels[i]) correct++;
  }
  return correct / data.count;
}

/** The MLP's hidden activations over a set of images, in image order, wrapping; labels kept per row. */
export class MlpActivations implements ActivationSource {
  private cursor = 0;
  /** Image indices of the rows the last `nextBatch` returned. */
  lastRows: Int32Array = new Int32Array(0);

  private constructor(
    readonly dim: number,
    readonly activations: Float32Array,
    readonly labels: Uint8Array,
  ) {}

  /** Computes h for every image of `data`. */
  static async create(model: MnistMlp, data: LabelledImages): Promise<MlpActivations> {
    const H = model.config.hiddenDim;
    const acts = await mapBatches(model, data, H, (x) => model.hidden(x));
    return new MlpActivations(H, acts, data.labels.slice(0, data.count));
  }

  /** Number of rows (images). */
  get length(): number {
    return this.labels.length;
  }

  /** The next `batchSize` rows in image order, wrapping; `lastRows` gives their image indices. */
  nextBatch(batchSize: number): Float32Array {
    checkInt('batchSize', batchSize, 1);
    const out = new Float32Array(batchSize * this.dim);
    this.lastRows = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) {
      out.set(this.activations.subarray(this.cursor * this.dim, (this.cursor + 1) * this.dim), b * this.dim);
      this.lastRows[b] = this.cursor;
      this.cursor = (this.cursor + 1) % this.length;
    }
    return out;
  }

  /** Starts `nextBatch` again from image 0. */
  reset(): void {
    this.cursor = 0;
  }
}

/**
 * Trains the 784-256-10 MLP classifier (src/data/lm/mnist-mlp.ts) on the 60,000 MNIST
 * training images and saves it to assets/mnist-mlp/ (model.safetensors + config.json),
 * with its accuracy on the 10,000 test images.
 *
 *   npx tsx scripts/train-mnist-mlp.ts [--epochs 5] [--out assets/mnist-mlp]
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { integer } from '../src/cli/args';
import { initBackend } from '../src/core/backend-node';
import { progressBar } from '../src/core/progress';
import { saveCheckpoint } from '../src/core/checkpoint';
import { loadMnist } from '../src/data/mnist';
import { DEFAULT_MNIST_MLP, MnistMlp, mnistMlpAccuracy, trainMnistMlp } from '../src/data/lm/mnist-mlp';
import type { MnistMlpCheckpointConfig } from '../src/data/lm/assets';

async function main(): Promise<void> {
  const opts = new Command()
    .option('--epochs <n>', 'passes over the training images', integer(1), 5)
    .option('--out <dir>', 'output folder', path.join(__dirname, '..', 'assets', 'mnist-mlp'))
    .parse()
    .opts();
  const epochs = opts.epochs as number;
  const batchSize = 128;
  const lr = 1e-3;
  const seed = 1;
  const out = path.resolve(opts.out as string);
  const started = Date.now();
  const backend = await initBackend();
  const train = loadMnist({ split: 'train' });
  const test = loadMnist({ split: 'test' });
  const model = new MnistMlp(DEFAULT_MNIST_MLP);
  const steps = epochs * Math.floor(train.count / batchSize);
  await trainMnistMlp(model, train, {
    epochs,
    batchSize,
    lr,
    seed,
    callbacks: progressBar({ label: 'mnist-mlp', total: steps }),
  });
  const testAccuracy = await mnistMlpAccuracy(model, test);
  const seconds = (Date.now() - started) / 1000;
  const config: MnistMlpCheckpointConfig = {
    model: model.config,
    training: { epochs, batchSize, lr, seed, optimizer: 'Adam', backend: backend.name, seconds: Math.round(seconds) },
    testAccuracy,
  };
  const tensors = model.params.snapshot();
  await saveCheckpoint(out, { config, tensors });
  for (const t of Object.values(tensors)) t.dispose();
  console.log(
    `test accuracy ${(testAccuracy * 100).toFixed(2)}%; saved ${out}; ${seconds.toFixed(0)} s on ${backend.name}`,
  );
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

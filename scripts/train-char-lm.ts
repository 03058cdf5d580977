/**
 * Trains the small character-level transformer (src/data/lm/char-lm.ts) on Moby-Dick and
 * the State of the Union addresses, and saves it to assets/char-lm/ (model.safetensors +
 * config.json). Prints the held-out loss in nats/char and bits/char.
 *
 *   npx tsx scripts/train-char-lm.ts [--steps 600] [--batch 32] [--lr 0.003] [--seed 1] [--out assets/char-lm]
 *
 * The shipped weights came from the defaults (docs/library.md gives the time it took).
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { integer, positiveNumber } from '../src/cli/args';
import { initBackend } from '../src/core/backend-node';
import { progressBar } from '../src/core/progress';
import { saveCheckpoint } from '../src/core/checkpoint';
import { CharLm, DEFAULT_CHAR_LM, trainCharLm } from '../src/data/lm/char-lm';
import { CharVocab } from '../src/data/lm/vocab';
import { loadTextSplit } from '../src/data/lm/text';
import { type CharLmCheckpointConfig, HELD_OUT_EVAL_CHARS, evaluateShippedCharLm } from '../src/data/lm/assets';

async function main(): Promise<void> {
  const opts = new Command()
    .option('--steps <n>', 'training steps', integer(1), 600)
    .option('--batch <n>', 'sequences per batch', integer(1), 32)
    .option('--lr <x>', 'peak learning rate', positiveNumber, 0.003)
    .option('--seed <n>', 'seed of the batches', integer(0), 1)
    .option('--out <dir>', 'output folder', path.join(__dirname, '..', 'assets', 'char-lm'))
    .parse()
    .opts();
  const { steps, lr, seed } = opts as { steps: number; lr: number; seed: number };
  const batchSize = opts.batch as number;
  const warmupSteps = Math.min(100, Math.floor(steps / 10));
  const out = path.resolve(opts.out as string);
  const started = Date.now();

  const backend = await initBackend();
  console.log(`backend: ${backend.name}`);
  const split = loadTextSplit();
  const vocab = new CharVocab();
  const train = vocab.encode(split.train);
  console.log(
    `text: ${train.length} training characters, ${split.heldOut.length} held out (${split.heldOutNames.length} documents)`,
  );

  const model = new CharLm({ ...DEFAULT_CHAR_LM, vocabSize: vocab.size });
  console.log(`model: ${JSON.stringify(model.config)}, ${model.params.size()} parameters`);
  const trainStart = Date.now();
  const history = await trainCharLm(model, train, {
    steps,
    batchSize,
    lr,
    warmupSteps,
    seed,
    logEvery: 10,
    callbacks: progressBar({ label: 'char-lm', total: steps }),
  });
  const trainSeconds = (Date.now() - trainStart) / 1000;

  const heldOutLoss = await evaluateShippedCharLm(model, HELD_OUT_EVAL_CHARS);
  const config: CharLmCheckpointConfig = {
    model: model.config,
    training: {
      steps,
      batchSize,
      lr,
      seed,
      warmupSteps,
      schedule: 'cosine to 10%',
      optimizer: 'Adam(beta2 0.99, clipNorm 1)',
      backend: backend.name,
      finalTrainLoss: history.last('loss') ?? NaN,
      trainSeconds: Math.round(trainSeconds),
    },
    heldOutLoss,
    heldOutEvalChars: HELD_OUT_EVAL_CHARS,
  };
  const tensors = model.params.snapshot();
  await saveCheckpoint(out, { config, tensors });
  for (const t of Object.values(tensors)) t.dispose();
  const total = (Date.now() - started) / 1000;
  console.log(
    `held-out loss on the first ${HELD_OUT_EVAL_CHARS} held-out chars: ${heldOutLoss.toFixed(4)} nats/char = ${(heldOutLoss / Math.LN2).toFixed(4)} bits/char`,
  );
  console.log(`saved ${out}; training ${trainSeconds.toFixed(0)} s, whole script ${total.toFixed(0)} s`);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

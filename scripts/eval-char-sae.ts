/**
 * Trains a TopK SAE on the shipped character model's residual stream and writes its full
 * evaluation record (src/sae/eval/full.ts): splicing and reconstruction core metrics, the SAEBench
 * core record, vowel absorption, feature dashboards, steered generations and, with --stability,
 * seed stability against a second SAE trained with another seed.
 *
 *   npx tsx scripts/eval-char-sae.ts [--latents 4096] [--k 16] [--steps 400] [--train-chars 65536]
 *       [--eval-chars 65536] [--stability] [--out eval-char-sae.json]
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { integer } from '../src/cli/args';
import { initBackend } from '../src/core/backend-node';
import { progressBar } from '../src/core/progress';
import { heldOutEvalTokens, loadCharLm } from '../src/data/lm/assets';
import { CharLmActivations } from '../src/data/lm/activations';
import { loadTextSplit } from '../src/data/lm/text';
import type { SparseAutoencoder } from '../src/sae/base';
import { createSae } from '../src/sae/create';
import { evaluateSaeFull, fullEvaluationSteps } from '../src/sae/eval/full';
import { SaeTrainer } from '../src/sae/trainer';

async function main(): Promise<void> {
  const opts = new Command()
    .option('--latents <n>', 'SAE width N', integer(1), 4096)
    .option('--k <n>', 'active latents per input', integer(1), 16)
    .option('--steps <n>', 'training steps', integer(1), 400)
    .option('--batch <n>', 'training batch size', integer(1), 1024)
    .option('--layer <n>', 'residual stream after this many blocks', integer(0), 1)
    .option('--train-chars <n>', 'training characters (activations computed once)', integer(1), 65536)
    .option('--eval-chars <n>', 'held-out characters evaluated', integer(1), 65536)
    .option('--dashboards <n>', 'latents given a dashboard (the most frequent)', integer(0), 4)
    .option('--stability', 'train a second SAE (seed 1) and measure seed stability')
    .option('--out <file>', 'JSON output', 'eval-char-sae.json')
    .parse()
    .opts();
  const N = opts.latents;
  const k = opts.k;
  const steps = opts.steps;
  const layer = opts.layer;
  const evalChars = opts.evalChars;
  const started = Date.now();
  const backend = await initBackend();
  const { model } = loadCharLm();
  const acts = await CharLmActivations.create(model, loadTextSplit().train, {
    layer,
    maxTokens: opts.trainChars,
  });
  console.log(
    `backend ${backend.name}; ${acts.length} training activations at layer ${layer} (${(Date.now() - started) / 1000} s)`,
  );

  const train = async (seed: number): Promise<SparseAutoencoder> => {
    const sae = createSae({ architecture: 'topk', dIn: model.dModel, nLatents: N, k, seed });
    acts.reset();
    const trainer = new SaeTrainer(sae, acts, {
      steps,
      batchSize: opts.batch,
      normalizeInput: true,
      callbacks: progressBar({ label: `topk seed ${seed}`, total: steps, show: ['loss', 'mse', 'l0'] }),
    });
    await trainer.train();
    trainer.dispose();
    return sae;
  };
  const trainStart = Date.now();
  const sae = await train(0);
  const twin = opts.stability ? await train(1) : undefined;
  const trainSeconds = (Date.now() - trainStart) / 1000;

  const heldOut = heldOutEvalTokens(evalChars);
  const evalStart = Date.now();
  const record = await evaluateSaeFull(model, sae, {
    layer,
    heldOutTokens: heldOut,
    maxChars: evalChars,
    dashboardCount: opts.dashboards,
    steering: { latents: undefined, steps: 40 },
    compareWith: twin,
    callbacks: progressBar({ label: 'evaluate', total: fullEvaluationSteps(model, heldOut, evalChars), show: [] }),
  });
  const evalSeconds = (Date.now() - evalStart) / 1000;
  const out = {
    command: `npx tsx scripts/eval-char-sae.ts ${process.argv.slice(2).join(' ')}`,
    backend: backend.name,
    training: {
      architecture: 'topk',
      nLatents: N,
      k,
      steps,
      batchSize: opts.batch,
      trainChars: acts.length,
      seconds: trainSeconds,
    },
    evaluationSeconds: evalSeconds,
    ...record,
  };
  fs.writeFileSync(opts.out, `${JSON.stringify(out, null, 2)}\n`);
  const { splice, reconstruction } = record.core;
  console.log(
    `loss clean ${splice.cleanLoss.toFixed(4)} spliced ${splice.splicedLoss.toFixed(4)} zero-ablated ${splice.zeroAblatedLoss.toFixed(4)}; ` +
      `loss recovered ${splice.lossRecovered.toFixed(4)}; KL ${splice.klSpliced.toFixed(4)}; explained variance ${reconstruction.explainedVariance.toFixed(4)}; L0 ${reconstruction.l0.toFixed(2)}`,
  );
  console.log(`evaluation ${evalSeconds.toFixed(1)} s (${JSON.stringify(record.seconds)}); wrote ${opts.out}`);
  sae.dispose();
  twin?.dispose();
  model.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

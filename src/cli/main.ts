#!/usr/bin/env node
/**
 * The `gensparse` command (commander parses the arguments: `--help` on every command, "did you
 * mean" for a mistyped command or option name).
 *
 *   gensparse train --data acts.npy --architecture topk --latents 16384 --k 32 --steps 20000 --out runs/a
 *   gensparse eval --sae runs/a/sae --data held-out.npy
 *   gensparse lesson | serve | experiment    (the course, from a clone of the repository)
 *
 * Human-readable lines and the progress bar go to stderr; stdout carries only the JSON result,
 * so `gensparse eval ... > eval.json` works.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeBackend } from '../core/backend';
import { initBackend } from '../core/backend-node';
import { ConfigError, InputError } from '../core/errors';
import { NotAClone, findPackageRoot, runExperimentCommand, runLessonCommand, runServeCommand } from './course';
import { EVAL_BATCH_SIZE, runEval } from './eval';
import { fraction, integer, integerList, nonNegativeNumber, outputFolder, positiveNumber } from './args';
import {
  LR_SCHEDULES,
  type LrSchedule,
  type TrainOptions,
  architectureHelp,
  parseArchitecture,
  runTrain,
  trainFlagHelp,
} from './train';

function architecture(value: string) {
  try {
    return parseArchitecture(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--architecture: /, ''));
  }
}

function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(findPackageRoot(), 'package.json'), 'utf8')).version as string;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function startBackend(): Promise<void> {
  log(describeBackend(await initBackend()));
}

/** Where help and errors go, and whether to throw instead of exiting (tests). */
export interface ProgramOptions {
  writeOut?: (text: string) => void;
  writeErr?: (text: string) => void;
  exitOverride?: boolean;
}

/** The whole command line. Subcommands inherit the output and exit settings. */
export function buildProgram(options: ProgramOptions = {}): Command {
  const program = new Command('gensparse')
    .description('Train and evaluate sparse autoencoders on activation files; run the course from a clone.')
    .version(packageVersion())
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true);
  if (options.writeOut || options.writeErr)
    program.configureOutput({
      ...(options.writeOut ? { writeOut: options.writeOut } : {}),
      ...(options.writeErr ? { writeErr: options.writeErr } : {}),
    });
  if (options.exitOverride) program.exitOverride();

  program
    .command('train')
    .description('train an SAE on a .npy/.safetensors file or a folder of them; writes an SAELens folder')
    .requiredOption(
      '--data <path>',
      '.npy or .safetensors file [rows, dim] (float32/float16/bf16), or a folder of them',
    )
    .option('--tensor <name>', 'tensor to read from a .safetensors file that holds several')
    .addOption(new Option('--architecture <name>', architectureHelp()).argParser(architecture).default('topk'))
    .requiredOption('--latents <n>', 'number of latents N (the dictionary size)', integer(1))
    .option('--k <n[,n...]>', `${trainFlagHelp('k')}; a list (8,16,32) trains one SAE per value`, integerList(1))
    .option('--sparsity-coefficient <x>', trainFlagHelp('sparsityCoefficient'), nonNegativeNumber)
    .requiredOption('--steps <n>', 'optimisation steps', integer(1))
    .option('--batch-size <n>', 'inputs per step', integer(1), 1024)
    .option('--lr <x>', 'peak learning rate (default 2e-4 / sqrt(N / 2^14), Gao et al. 2024)', positiveNumber)
    .addOption(
      new Option('--lr-schedule <name>', 'decay over the last 20% of the run after a linear warm-up')
        .choices(Object.keys(LR_SCHEDULES))
        .default('linear'),
    )
    .option('--warmup-steps <n>', 'linear warm-up steps (default min(1000, steps / 20))', integer(0))
    .option('--held-out <fraction>', 'fraction of the rows held out for evaluation (the last rows)', fraction, 0.1)
    .option('--log-every <n>', 'write a metrics record every this many steps', integer(1), 10)
    .option(
      '--checkpoint-every <n>',
      'save a checkpoint every this many steps (0: never; default: every 10% of the run)',
      integer(0),
    )
    .option('--buffer-rows <n>', 'rows in the shuffling buffer (default min(65536, 256 MiB of rows))', integer(1))
    .option('--eval-rows <n>', 'held-out rows evaluated at the end (default min(65536, 256 MiB of rows))', integer(1))
    .option('--seed <n>', 'seed of the initialisation and the data order', integer(0), 0)
    .option(
      '--seeds <n>',
      'train this many SAEs (per k), seeded --seed, --seed + 1, ..., on the same data',
      integer(1),
      1,
    )
    .requiredOption('--out <dir>', 'output folder: run.json, metrics.jsonl, checkpoint/, sae/, eval.json', outputFolder)
    .option(
      '--resume',
      'continue the run in --out from its last checkpoint (same options; bit-identical result)',
      false,
    )
    .option('--stop-after <step>', 'end after this step with a checkpoint, to continue later with --resume', integer(1))
    .addHelpText(
      'after',
      `
Example:
  gensparse train --data acts.npy --architecture topk --latents 16384 --k 32 --steps 20000 --out runs/topk
  (then: python -c "import pandas; print(pandas.read_json('runs/topk/metrics.jsonl', lines=True).tail())")

Several SAEs in one run (trained together, each on the same batches as a run of its own):
  gensparse train --data acts.npy --latents 16384 --k 8,16,32 --seeds 2 --steps 20000 --out runs/sweep
  writes runs/sweep/run.json and runs/sweep/trainer-state/ (all SAEs' states), and one folder per SAE,
  named by what varies (k-8-seed-0, k-8-seed-1, k-16-seed-0, ...; seed-N with --seeds alone, k-N with
  a --k list alone), each holding metrics.jsonl, checkpoint/, sae/ and eval.json as a single run does.`,
    )
    .action(async (o) => {
      const opts: TrainOptions = {
        data: o.data,
        tensor: o.tensor,
        architecture: o.architecture,
        latents: o.latents,
        k: o.k,
        sparsityCoefficient: o.sparsityCoefficient,
        steps: o.steps,
        batchSize: o.batchSize,
        lr: o.lr,
        lrSchedule: o.lrSchedule as LrSchedule,
        warmupSteps: o.warmupSteps,
        heldOut: o.heldOut,
        logEvery: o.logEvery,
        checkpointEvery: o.checkpointEvery ?? Math.max(1, Math.round(o.steps / 10)),
        bufferRows: o.bufferRows,
        evalRows: o.evalRows,
        seed: o.seed,
        seeds: o.seeds,
        out: o.out,
        resume: o.resume,
        stopAfter: o.stopAfter,
      };
      await startBackend();
      const summary = await runTrain(opts, log);
      if (!summary.stopped)
        log(`done: ${summary.steps} steps in ${summary.seconds.toFixed(1)} s; wrote ${summary.out}`);
      process.stdout.write(
        `${JSON.stringify(summary.members ? { out: summary.out, members: summary.members } : (summary.evaluation ?? { out: summary.out, evaluation: null }), null, 2)}\n`,
      );
    });

  program
    .command('eval')
    .description('evaluate an SAELens folder on activation rows: JSON record on stdout, density histogram PNG')
    .requiredOption('--sae <dir>', 'SAELens folder (cfg.json + sae_weights.safetensors)')
    .requiredOption('--data <path>', '.npy or .safetensors file, or a folder of them')
    .option('--tensor <name>', 'tensor to read from a .safetensors file that holds several')
    .option('--first-row <n>', 'first row evaluated', integer(0), 0)
    .option(
      '--rows <n>',
      'rows evaluated (default: all from --first-row, at most 65536 or 256 MiB of rows)',
      integer(1),
    )
    .option('--batch-size <n>', 'rows per forward pass', integer(1), EVAL_BATCH_SIZE)
    .option(
      '--out <dir>',
      'folder for eval.json and density.png (default: <sae>-eval, beside the SAE folder)',
      outputFolder,
    )
    .addHelpText(
      'after',
      `
Example (the held-out rows of a run: its run.json gives the first one):
  gensparse eval --sae runs/topk/sae --data acts.npy --first-row 900000 > eval.json`,
    )
    .action(async (o) => {
      await startBackend();
      const { record, files } = await runEval({
        sae: o.sae,
        data: o.data,
        tensor: o.tensor,
        firstRow: o.firstRow,
        rows: o.rows,
        batchSize: o.batchSize,
        // Beside the SAE folder, not inside it: an SAELens folder is saved and replaced as a whole.
        out: o.out ?? `${path.normalize(o.sae).replace(/[\\/]+$/, '')}-eval`,
      });
      log(`wrote ${files.join(', ')}`);
      process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    });

  program
    .command('lesson')
    .description("run a lesson's Node script (plots + metrics.json); from a clone of the repository")
    .argument('[id]', 'lesson id, e.g. vae-training (see --list)')
    .option('--list', 'list the lessons')
    .option('--quick', 'a short run')
    .option('--out <dir>', 'output folder (default out/<id>)')
    .option('--seed <n>', 'seed', integer(0))
    .action(async (id: string | undefined, o) => {
      const args = [...(id === undefined ? [] : [id])];
      if (o.list) args.push('--list');
      if (o.quick) args.push('--quick');
      if (o.out !== undefined) args.push('--out', o.out);
      if (o.seed !== undefined) args.push('--seed', String(o.seed));
      process.exitCode = await runLessonCommand(args);
    });

  program
    .command('serve')
    .description('serve the lesson site (builds what changed first); from a clone of the repository')
    .option('--port <n>', 'port (default 3000)', integer(0))
    .option('--host <address>', 'address to listen on (default 127.0.0.1; 0.0.0.0 to share)')
    .action(async (o) => {
      process.exitCode = await runServeCommand({ port: o.port, host: o.host });
    });

  program
    .command('experiment')
    .description("run one of the course's experiments (npm run experiment); from a clone of the repository")
    .argument('[args...]', 'passed on to npm run experiment')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help (the experiment runner has its own: gensparse experiment -- --help)')
    .action(async (args: string[]) => {
      process.exitCode = await runExperimentCommand(args);
    });

  return program;
}

/** Runs the command line; named errors print one line and exit 2, anything else exits 1. */
export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof InputError || e instanceof ConfigError || e instanceof NotAClone) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`gensparse failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

if (require.main === module) void main();

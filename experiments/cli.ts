/**
 * The experiment runner:
 *
 *   npm run experiment -- --list
 *   npm run experiment -- <name> [--quick] [--seed N] [--out DIR] [--backend NAME]
 *
 * Each run writes report.json, summary.md and its PNG figures to DIR (default
 * experiments/reports/<name>, or <name>-quick for --quick).
 */
import { Command, InvalidArgumentError } from 'commander';
import { integer } from '../src/cli/args';
import { initBackend } from '../src/core/backend-node';
import { describeBackend } from '../src/core/backend';
import { STUDIES, findStudy } from './index';
import { runStudy } from './run';
import { experimentsTable, reproductionTable } from './table';

function parseSeed(value: string): number {
  const n = integer(0)(value);
  if (n > 2 ** 32 - 1) throw new InvalidArgumentError(`must be an integer in [0, 2^32 - 1], got '${value}'`);
  return n;
}

const program = new Command()
  .name('npm run experiment --')
  .description('Runs one of the research experiments and writes its report.')
  .argument('[name]', 'the experiment (see --list)')
  .option('--list', 'list the experiments')
  .option('--table', 'print the table of headline numbers in docs/results.md from the committed reports')
  .option(
    '--reproduction',
    'print the reproduction table (published claims) for docs/results.md from the committed reports',
  )
  .option('--quick', 'the small configuration the tests use (seconds)')
  .option('--seed <n>', 'seed of everything random', parseSeed, 0)
  .option('--out <dir>', 'report folder')
  .option('--backend <name>', 'tfjs backend (node-gpu, node, wasm, cpu); default the fastest available')
  .action(async (name: string | undefined, opts) => {
    if (opts.table) {
      process.stdout.write(`${experimentsTable()}\n`);
      return;
    }
    if (opts.reproduction) {
      process.stdout.write(`${reproductionTable()}\n`);
      return;
    }
    if (opts.list || !name) {
      for (const e of STUDIES) process.stdout.write(`${e.name.padEnd(22)} ${e.title}\n`);
      if (!opts.list) process.exitCode = 1;
      return;
    }
    const experiment = findStudy(name);
    if (!experiment) {
      program.error(`unknown experiment '${name}'; one of: ${STUDIES.map((e) => e.name).join(', ')}`);
      return;
    }
    const backend = await initBackend({ backend: opts.backend });
    process.stderr.write(`backend: ${describeBackend(backend)}\n`);
    const report = await runStudy(experiment, { quick: Boolean(opts.quick), seed: opts.seed, outDir: opts.out });
    process.stdout.write(`${report.summary.trim()}\n\nwall time ${report.wallSeconds} s\n`);
  });

program.parseAsync(process.argv).catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

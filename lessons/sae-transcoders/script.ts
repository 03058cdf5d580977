/**
 * Lesson 10 (Node): the page's experiment (experiment.ts: a TopK transcoder, N = 512, k = 8, on
 * the MLP of the char model's second block) trained with a splice evaluation every 50 steps; its
 * figures written as PNG. Then the same run as a skip transcoder (the page's `skip` setting),
 * for the comparison the narration makes.
 *
 *   npm run lesson -- sae-transcoders [--quick]
 *
 * --quick trains 150 steps instead of 600 (both runs).
 */
import { runExperiment, writeFigures } from '../../src/lesson/node';
import experiment, { type TranscoderPoint, type TranscoderRun } from './experiment';

interface Opts {
  quick: boolean;
  outDir: string;
  seed: number;
  log: (line: string) => void;
}

/** Trains one run with a splice evaluation at step 0 and every 50 steps; returns the run (the caller disposes it). */
async function trainProbed(skip: boolean, steps: number, opts: Opts) {
  let live: TranscoderRun | null = null;
  const capturing = {
    ...experiment,
    async create(ctx: Parameters<typeof experiment.create>[0]) {
      live = await experiment.create(ctx);
      await live.probes(); // step 0: the transcoder as initialised
      return live;
    },
  };
  return runExperiment(capturing, {
    settings: { seed: opts.seed, skip },
    steps,
    log: opts.log,
    callbacks: [
      {
        async onLog() {
          const done = live?.step ?? 0;
          if (live && done % 50 === 0 && done < steps) await live.probes();
        },
      },
    ],
  });
}

function describe(name: string, s: TranscoderPoint): string {
  return (
    `${name} at step ${s.step} (${s.chars} held-out chars): clean ${s.cleanLoss.toFixed(3)}, spliced ${s.splicedLoss.toFixed(3)}, ` +
    `mean-ablated ${s.meanAblatedLoss.toFixed(3)}, zero-ablated ${s.zeroAblatedLoss.toFixed(3)} nats/char; ` +
    `recovered ${s.lossRecovered.toFixed(4)} (mean ablation ${s.lossRecoveredMeanAblation.toFixed(4)}); ` +
    `FVU ${s.fvu.toFixed(4)}, L0 ${s.l0.toFixed(2)}, dead ${s.deadFraction.toFixed(3)}, KL ${s.klSpliced.toFixed(4)}`
  );
}

export default async function run(opts: Opts): Promise<Record<string, number>> {
  const steps = opts.quick ? 150 : 600;
  const out: Record<string, number> = { steps };
  const plain = await trainProbed(false, steps, opts);
  try {
    await writeFigures(experiment, plain, opts.outDir); // the last probe, at the final step
    const r = plain.run;
    const s = r.history[r.history.length - 1];
    const first = r.history[0];
    Object.assign(out, {
      nLatents: plain.settings.nLatents,
      k: plain.settings.k,
      cleanLoss: s.cleanLoss,
      splicedLoss: s.splicedLoss,
      zeroAblatedLoss: s.zeroAblatedLoss,
      meanAblatedLoss: s.meanAblatedLoss,
      lossRecovered: s.lossRecovered,
      lossRecoveredMeanAblation: s.lossRecoveredMeanAblation,
      klSpliced: s.klSpliced,
      klScoreMeanAblation: s.klScoreMeanAblation,
      heldOutFvu: s.fvu,
      heldOutL0: s.l0,
      deadFraction: s.deadFraction,
      initialSplicedLoss: first.splicedLoss,
      initialLossRecoveredMeanAblation: first.lossRecoveredMeanAblation,
      initialFvu: first.fvu,
      trainFvu: plain.history.values[plain.history.values.length - 1].fvu as number,
    });
    opts.log(describe('transcoder', s));
  } finally {
    plain.run.dispose();
  }
  const skip = await trainProbed(true, steps, opts);
  try {
    const s = skip.run.history[skip.run.history.length - 1];
    Object.assign(out, {
      skipSplicedLoss: s.splicedLoss,
      skipLossRecovered: s.lossRecovered,
      skipLossRecoveredMeanAblation: s.lossRecoveredMeanAblation,
      skipHeldOutFvu: s.fvu,
      skipHeldOutL0: s.l0,
      skipDeadFraction: s.deadFraction,
      initialSkipFvu: skip.run.history[0].fvu,
    });
    opts.log(describe('skip transcoder', s));
  } finally {
    skip.run.dispose();
  }
  return out;
}

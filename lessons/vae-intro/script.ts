/**
 * Lesson 1 (Node): the page's experiment (experiment.ts) run twice, as an autoencoder and as a
 * VAE, with the same networks (2 -> 64 -> 64 -> z in R^2 -> 64 -> 64 -> 2) on a ring of 8
 * Gaussians.
 *
 *   npm run lesson -- vae-intro [--quick]
 *
 * Writes into outDir (the same figures the page draws):
 *   curves.png                     the VAE's curves, the autoencoder's faded behind (nats per example)
 *   autoencoder-samples.png        data and the autoencoder decoding z ~ N(0, I)
 *   vae-samples.png                data and the VAE decoding z ~ N(0, I)
 *   autoencoder-codes.png, vae-codes.png   codes mu(x) of held-out points against the prior
 * and returns the held-out bounds (nats), the fraction of decoded prior samples on the data,
 * and the data's entropy log 8 + log(2 pi e 0.15^2) = 1.12 nats, the lowest average -log p(x).
 */
import experiment, { RING } from './experiment';
import { ghostOf, runExperiment, writeFigures, type LessonScriptOptions } from '../../src/lesson/node';

export default async function run(opts: LessonScriptOptions): Promise<Record<string, number>> {
  const steps = opts.quick ? 1000 : 3000;
  const entropy = Math.log(RING.components) + Math.log(2 * Math.PI * Math.E * RING.std ** 2);
  opts.log(`an autoencoder and a VAE on a ring of ${RING.components} Gaussians, ${steps} steps each`);
  const ae = await runExperiment(experiment, {
    settings: { model: 'autoencoder', seed: opts.seed },
    steps,
    log: opts.log,
  });
  const vae = await runExperiment(experiment, { settings: { model: 'vae', seed: opts.seed }, steps, log: opts.log });
  try {
    await writeFigures(experiment, ae, opts.outDir, { prefix: 'autoencoder-', only: ['samples', 'codes'] });
    await writeFigures(experiment, vae, opts.outDir, { prefix: 'vae-', only: ['samples', 'codes'] });
    await writeFigures(experiment, vae, opts.outDir, { only: ['curves'], ghosts: [ghostOf(experiment, ae)] });
    const last = (r: typeof ae, m: string) => r.history.last(m) ?? Number.NaN;
    const metrics = {
      steps,
      aeRecon: last(ae, 'recon'),
      vaeRecon: last(vae, 'recon'),
      vaeKl: last(vae, 'kl'),
      aePriorOnData: last(ae, 'onData'),
      vaePriorOnData: last(vae, 'onData'),
      vaeTestNegElbo: last(vae, 'testNegElbo'),
      vaeTestNegIwae: last(vae, 'testNegIwae'),
      dataEntropy: entropy,
    };
    opts.log(
      `prior samples on the data: autoencoder ${(100 * metrics.aePriorOnData).toFixed(1)}%, VAE ${(100 * metrics.vaePriorOnData).toFixed(1)}%`,
    );
    opts.log(
      `VAE held out: -ELBO ${metrics.vaeTestNegElbo.toFixed(3)}, -IWAE(32) ${metrics.vaeTestNegIwae.toFixed(3)} nats (entropy ${entropy.toFixed(3)})`,
    );
    return metrics;
  } finally {
    ae.run.dispose();
    vae.run.dispose();
  }
}

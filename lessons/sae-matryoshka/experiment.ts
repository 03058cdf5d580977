/**
 * Lesson 8's experiment, shared by the page and the Node script: three SAEs with the same TopK
 * latents train side by side on the same batches of the hierarchical toy (Nabeshima 2024: 3
 * parents at p = 0.15, each with 3 mutually exclusive children, plus 8 independent features,
 * orthonormal directions in d = 20):
 *
 * - TopK: one reconstruction from all N latents;
 * - Matryoshka with a prefix list (N/8, N/4, N/2, N) (Bussmann et al. 2025, arXiv:2503.17547);
 * - Matryoshka with every prefix (block size 1), its loss exact in O(k D) per input
 *   (kernels/matryoshka-loss).
 *
 * Metrics (every step, on the device): the mean cosine of each child's latent with its parent's
 * direction (absorption shows as child latents that lean towards the parent). Probes on held-out
 * inputs (drawn before training): the absorption rate (src/sae/eval/truth.ts), ground-truth
 * recovery (mean max cosine) and FVU, and the decoder directions of one family.
 */
import * as tf from '@tensorflow/tfjs';
import type { ChartSpec } from '../../src/charts/spec';
import { CHART_COLORS } from '../../src/charts/spec';
import type { StepResult } from '../../src/core/train';
import { absorptionRate, featureRecovery } from '../../src/sae/eval/truth';
import { HierarchicalData } from '../../src/data/synthetic';
import { type SaeConfig, SaeTrainer, type SparseAutoencoder, createSae } from '../../src/sae';
import { evaluateSae } from '../../src/sae/eval/reconstruction';
import { denseLatents } from '../../src/sae/base';
import { defineExperiment } from '../../src/lesson/experiment';
import { seedSetting } from '../../src/lesson/settings';

export const TOY = { nLatents: 32, batchSize: 256, heldOut: 4096, lr: 3e-3, steps: 600 } as const;

export const ARCHS = ['topk', 'prefixes', 'every'] as const;
export type Arch = (typeof ARCHS)[number];
export const ARCH_NAMES: Record<Arch, string> = {
  topk: 'TopK',
  prefixes: 'Matryoshka (N/8, N/4, N/2, N)',
  every: 'Matryoshka (every prefix)',
};
const COLORS: Record<Arch, string> = { topk: CHART_COLORS[1], prefixes: CHART_COLORS[2], every: CHART_COLORS[0] };

/** The SAE config of one architecture. */
export function configOf(arch: Arch, dIn: number, k: number, seed: number): SaeConfig {
  const n = TOY.nLatents;
  if (arch === 'topk') return { architecture: 'topk', dIn, nLatents: n, k, seed };
  const prefixes = arch === 'every' ? ('all' as const) : [n / 8, n / 4, n / 2, n];
  return { architecture: 'matryoshka', dIn, nLatents: n, k, seed, prefixes };
}

/** What the probes measured last, per architecture (the script reads these). */
export interface HierarchyNumbers {
  absorption: Record<Arch, number>;
  /** Of inputs where a parent fires without a child, the fraction that fire the parent latent. */
  parentOnlyRecall: Record<Arch, number>;
  meanMaxCosine: Record<Arch, number>;
  fvu: Record<Arch, number>;
  l0: Record<Arch, number>;
  /** Mean cosine of each child's best latent with its parent's direction. */
  childParentCosine: Record<Arch, number>;
}

export interface HierarchyRun {
  oneStep(i: number): Promise<StepResult>;
  probes(): Promise<Record<string, ChartSpec>>;
  diagram(): Array<{ label: string; shape: number[]; role: 'data' | 'map' | 'latent' | 'loss' }>;
  dispose(): void;
  last: HierarchyNumbers | null;
}

/**
 * Mean over children c of cos(d_l(c), u_parent(c)), l(c) the latent whose decoder row is closest to
 * u_c: 0 when child latents are pure, 1/sqrt(2) when each has absorbed its parent (u_c + u_P).
 */
function childParentCosine(wDecND: tf.Tensor2D, uMD: tf.Tensor2D, children: number[], parentOf: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const dHat = wDecND.div(wDecND.norm('euclidean', 1, true).add(1e-12));
    const cosNM = tf.matMul(dHat, uMD, false, true); // [N, m]
    const cosMN = cosNM.transpose();
    const best = tf.argMax(cosMN.gather(children), 1); // [children]
    const parents = Array.from(children, (c) => parentOf[c]);
    const rows = cosNM.gather(best); // [children, m]: each child latent's cosine with every feature
    const mask = tf.oneHot(parents, uMD.shape[0]);
    return rows.mul(mask).sum(1).mean() as tf.Scalar;
  });
}

export default defineExperiment({
  title: 'TopK against Matryoshka SAEs on a hierarchy of features',
  settings: {
    k: { kind: 'int', label: 'active latents k', default: 2, min: 1, max: 6, slider: 'linear' },
    seed: seedSetting(1),
  },
  metrics: {
    // The first is the loss the framework's tests check (it falls); the others are the lesson's point.
    chart: ['loss_every', 'childParent_topk', 'childParent_prefixes', 'childParent_every'],
    yTitle: 'loss (FVU) / cosine of child latents with their parent',
    names: {
      loss_every: 'loss, Matryoshka (every prefix)',
      childParent_topk: `cosine, ${ARCH_NAMES.topk}`,
      childParent_prefixes: `cosine, ${ARCH_NAMES.prefixes}`,
      childParent_every: `cosine, ${ARCH_NAMES.every}`,
    },
  },
  figures: {
    absorption: {
      title: 'Absorption and recovery, held-out inputs',
      caption: 'Absorption: a child fires and the parent latent stays silent. Lower is better; recovery higher.',
      size: 'half',
    },
    directions: {
      title: 'Decoder directions of the first family',
      caption: 'Each latent closest to the parent or a child, projected on (parent, child) directions.',
      size: 'half',
    },
  },
  logEvery: 20,
  maxSteps: TOY.steps,
  async create(ctx): Promise<HierarchyRun> {
    const { k, seed } = ctx.settings;
    const data = new HierarchicalData({ seed });
    const D = data.dim;
    const m = data.numFeatures;
    const heldOut = data.sample(TOY.heldOut); // drawn before training: never a training input
    const children = data.children.flat();
    const uMD = tf.tensor2d(data.directions, [m, D]);
    const saes: SparseAutoencoder[] = ARCHS.map((a) => createSae(configOf(a, D, k, seed)));
    let batch: Float32Array = new Float32Array(0);
    const shared = { dim: D, nextBatch: (b: number) => (b === TOY.batchSize ? batch : data.nextBatch(b)) };
    const trainers = saes.map(
      (sae) =>
        new SaeTrainer(sae, shared, {
          steps: TOY.steps,
          batchSize: TOY.batchSize,
          lr: TOY.lr,
          deadWindow: 20 * TOY.batchSize,
          initSamples: 1024,
        }),
    );
    for (const t of trainers) await t.initialise();
    ctx.note(`3 SAEs of ${TOY.nLatents} latents, k = ${k}, on ${m} hierarchical features in d = ${D}`);

    const run: HierarchyRun = {
      last: null,
      async oneStep() {
        batch = data.nextBatch(TOY.batchSize);
        const out: StepResult = {};
        for (let i = 0; i < ARCHS.length; i++) {
          const res = await trainers[i].step();
          const keep = ARCHS[i] === 'every' ? res.loss : null;
          if (keep !== null) out.loss_every = keep;
          tf.dispose(Object.values(res).filter((v) => typeof v !== 'number' && v !== keep) as tf.Tensor[]);
          out[`childParent_${ARCHS[i]}`] = childParentCosine(
            saes[i].wDecND as tf.Tensor2D,
            uMD,
            children,
            data.parentOf,
          );
        }
        return out;
      },

      async probes() {
        const n = {} as HierarchyNumbers;
        for (const key of ['absorption', 'parentOnlyRecall', 'meanMaxCosine', 'fvu', 'l0', 'childParentCosine']) {
          (n as unknown as Record<string, Record<string, number>>)[key] = {};
        }
        const family: Record<Arch, Array<[number, number]>> = { topk: [], prefixes: [], every: [] };
        const p0 = data.parents[0];
        for (let i = 0; i < ARCHS.length; i++) {
          const a = ARCHS[i];
          const sae = saes[i];
          const decoder = (await sae.wDecND.data()) as Float32Array;
          const x = tf.tensor2d(heldOut.x, [TOY.heldOut, D]);
          const dense = tf.tidy(() => {
            const lat = sae.encode(x);
            return denseLatents(lat, sae.nLatents);
          });
          const latents = (await dense.data()) as Float32Array;
          tf.dispose([x, dense]);
          const truth = { decoder, directions: data.directions, dim: D };
          const abs = absorptionRate({
            ...truth,
            parents: data.parents,
            children: data.children,
            codes: heldOut.codes,
            latents,
          });
          const rec = featureRecovery(truth);
          const ev = await evaluateSae(sae, heldOut.x, { batchSize: 1024 });
          const cp = childParentCosine(sae.wDecND as tf.Tensor2D, uMD, children, data.parentOf);
          n.absorption[a] = abs.rate;
          n.parentOnlyRecall[a] = abs.parentOnlyRecall;
          n.meanMaxCosine[a] = rec.meanMaxCosine;
          n.fvu[a] = ev.fvu;
          n.l0[a] = ev.l0;
          n.childParentCosine[a] = (await cp.data())[0];
          cp.dispose();
          // The latents closest to the first parent and to each of its children, as unit vectors
          // projected on (u_parent, u_child-sum): absorption pulls child latents up the parent axis.
          for (const f of [p0, ...data.children[0]]) {
            const l = rec.bestLatent[f];
            let norm = 0;
            let onP = 0;
            let onC = 0;
            for (let j = 0; j < D; j++) {
              const v = decoder[l * D + j];
              norm += v * v;
              onP += v * data.directions[p0 * D + j];
              for (const c of data.children[0]) onC += v * data.directions[c * D + j];
            }
            norm = Math.sqrt(norm) || 1;
            family[a].push([onC / norm, onP / norm]);
          }
        }
        run.last = n;
        const absorption: ChartSpec = {
          title: `k = ${k}: absorption rate and recovery`,
          kind: 'bar',
          x: { title: 'architecture', categories: ['TopK', 'M. prefixes', 'M. every prefix'] },
          y: { title: 'rate / cosine', min: 0, max: 1 },
          series: [
            {
              name: 'absorption rate',
              kind: 'bar',
              color: CHART_COLORS[1],
              points: ARCHS.map((a, i) => [i, n.absorption[a]]),
            },
            {
              name: 'recovery (mean max cosine)',
              kind: 'bar',
              color: CHART_COLORS[0],
              points: ARCHS.map((a, i) => [i, n.meanMaxCosine[a]]),
            },
          ],
        };
        const directions: ChartSpec = {
          title: 'Parent and child latents of family 1',
          kind: 'scatter',
          x: { title: 'along the children (sum of u_c)', min: -0.2, max: 1.1 },
          y: { title: 'along the parent u_P', min: -0.2, max: 1.1 },
          series: ARCHS.map((a) => ({
            name: ARCH_NAMES[a],
            kind: 'scatter' as const,
            color: COLORS[a],
            pointRadius: 5,
            points: family[a],
            labels: ['parent latent', 'child 1 latent', 'child 2 latent', 'child 3 latent'],
          })),
        };
        return { absorption, directions };
      },

      diagram() {
        return [
          { label: 'x (hierarchy)', shape: [TOY.batchSize, D], role: 'data' },
          { label: 'encoder, TopK', shape: [TOY.batchSize, k], role: 'latent' },
          { label: 'decoder, every prefix', shape: [TOY.nLatents, D], role: 'map' },
          { label: 'sum over prefixes', shape: [TOY.batchSize], role: 'loss' },
        ];
      },

      dispose() {
        for (const t of trainers) t.dispose();
        for (const sae of saes) sae.dispose();
        uMD.dispose();
      },
    };
    return run;
  },
});

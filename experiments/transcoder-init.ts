/**
 * transcoder-init: does tying the encoder to the decoder's transpose at initialisation (Gao et
 * al. 2024, arXiv:2406.04093, Sec. 2.2), which keeps an SAE's latents alive, help a transcoder
 * too, whose input and output spaces differ (Dunefsky et al. 2024, arXiv:2406.11944)? And does
 * the order of the (input, output) pairs matter: shuffled across the text, or in text order?
 *
 * TopK transcoders on the MLP of the character model's second block, 2 x 2 conditions (tied /
 * independent encoder init; shuffled / text-order pairs), several seeds, same data and budget.
 * Judged on held-out text by the MLP splice (src/sae/eval/splice-mlp.ts): the fraction of loss
 * recovered against mean ablation, the FVU of the MLP's output, and the latents firing on none
 * of the held-out characters. sparsify starts a transcoder's decoder at zero and SAELens draws
 * both matrices at random; neither ties them, which is why the question is open.
 */
import { loadCharLm } from '../src/data/lm/assets';
import { captureMlpPairs } from '../src/data/lm/mlp-pairs';
import { loadTextSplit } from '../src/data/lm/text';
import { CharVocab } from '../src/data/lm/vocab';
import { createSae } from '../src/sae';
import { spliceMlpEvaluate } from '../src/sae/eval/splice-mlp';
import type { TopKTranscoder } from '../src/sae/transcoder';
import { mean, sig, trainWithProgress } from './common';
import type { Numbers } from './report';
import type { Study } from './study';

/** The four conditions, in the order they are reported. */
export const TRANSCODER_INIT_CONDITIONS = [
  { id: 'tied+shuffled', tiedInit: true, shuffled: true },
  { id: 'independent+shuffled', tiedInit: false, shuffled: true },
  { id: 'tied+text-order', tiedInit: true, shuffled: false },
  { id: 'independent+text-order', tiedInit: false, shuffled: false },
] as const;

/** The block (of 2, from 0) whose MLP is learned. */
const BLOCK = 1;

export const transcoderInit: Study = {
  name: 'transcoder-init',
  title: 'Transcoders: tied initialisation and shuffling',
  question:
    'Does initialising a transcoder’s encoder as its decoder’s transpose help as it helps SAEs, and does training ' +
    'on shuffled rather than text-ordered (MLP input, MLP output) pairs change what it recovers?',
  async run(ctx) {
    const q = ctx.quick;
    const seeds = q ? [ctx.seed] : [ctx.seed, ctx.seed + 1, ctx.seed + 2];
    const n = q ? 64 : 512;
    const k = 8;
    const steps = q ? 12 : 1000;
    const batchSize = q ? 64 : 512;
    const trainChars = q ? 4096 : 262144;
    const heldOutChars = q ? 1024 : 8192;
    const model = loadCharLm().model;
    const out: Record<string, { recovered: number[]; fvu: number[]; dead: number[] }> = {};
    try {
      const vocab = new CharVocab();
      const text = loadTextSplit();
      const trainTokens = vocab.encode(text.train.slice(0, trainChars + 1));
      const heldOutTokens = vocab.encode(text.heldOut.slice(0, heldOutChars + 1));
      const D = model.dModel;
      for (const c of TRANSCODER_INIT_CONDITIONS) {
        out[c.id] = { recovered: [], fvu: [], dead: [] };
        for (const seed of seeds) {
          const pairs = await captureMlpPairs(model, trainTokens, {
            block: BLOCK,
            maxChars: trainChars,
            ...(c.shuffled ? { shuffleSeed: seed } : {}),
          });
          const sae = createSae({
            architecture: 'transcoder-topk',
            dIn: D,
            nLatents: n,
            k,
            tiedInit: c.tiedInit,
            seed,
          });
          try {
            await trainWithProgress(ctx, `${c.id} s=${seed}`, sae, pairs, {
              steps,
              batchSize,
              lr: 2e-3,
              normalizeInput: true,
              initSamples: Math.min(2048, pairs.rows),
              logEvery: q ? 2 : 10,
            });
            const ev = await spliceMlpEvaluate(model, sae as TopKTranscoder, heldOutTokens, {
              block: BLOCK,
              maxChars: heldOutChars,
            });
            out[c.id].recovered.push(ev.splice.lossRecoveredMeanAblation);
            out[c.id].fvu.push(ev.reconstruction.fvu);
            out[c.id].dead.push(ev.density.filter((d) => d === 0).length / n);
          } finally {
            sae.dispose();
          }
        }
      }
    } finally {
      model.dispose();
    }

    const ids = TRANSCODER_INIT_CONDITIONS.map((c) => c.id);
    ctx.figure(
      'transcoder-init.png',
      {
        title: `TopK transcoders on the MLP of block ${BLOCK + 1} (n = ${n}, k = ${k}, ${steps} steps)`,
        kind: 'bar',
        x: { title: 'condition', categories: ids },
        y: { title: 'held-out value (mean over seeds)' },
        series: [
          { name: 'loss recovered vs mean ablation', points: ids.map((id, i) => [i, mean(out[id].recovered)]) },
          { name: 'FVU of the MLP output', points: ids.map((id, i) => [i, mean(out[id].fvu)]) },
          { name: 'dead fraction', points: ids.map((id, i) => [i, mean(out[id].dead)]) },
        ],
      },
      'Each bar is the mean over seeds; the values per seed are in report.json.',
    );
    const numbers: Numbers = {
      seeds,
      nLatents: n,
      k,
      steps,
      batchSize,
      trainChars,
      heldOutChars,
      lossRecoveredMeanAblation: Object.fromEntries(ids.map((id) => [id, out[id].recovered])),
      fvu: Object.fromEntries(ids.map((id) => [id, out[id].fvu])),
      deadFraction: Object.fromEntries(ids.map((id) => [id, out[id].dead])),
    };
    const summary = [
      `TopK transcoders (n = ${n}, k = ${k}) on the MLP of the character model's block ${BLOCK + 1}, ${steps} steps of ` +
        `${batchSize} pairs from ${trainChars} training characters, ${seeds.length} seed(s) per condition; held-out ` +
        `splice over ${heldOutChars} characters.`,
      '',
      '| condition | loss recovered (mean ablation) | FVU of MLP output | dead fraction |',
      '|---|---|---|---|',
      ...ids.map(
        (id) => `| ${id} | ${sig(mean(out[id].recovered))} | ${sig(mean(out[id].fvu))} | ${sig(mean(out[id].dead))} |`,
      ),
    ].join('\n');
    return { summary, numbers };
  },
};

/**
 * Saving and loading SAEs in SAELens' on-disk layout (v6, `sae_lens/saes/sae.py`), so a model
 * trained here loads in that ecosystem and one trained there (e.g. a Gemma Scope JumpReLU) runs here.
 *
 *   <dir>/cfg.json                 {"architecture", "d_in", "d_sae", "dtype", "device",
 *                                   "apply_b_dec_to_input", "normalize_activations", "reshape_activations",
 *                                   "metadata", "k" (topk only), "gensparse" (our full config)}
 *   <dir>/sae_weights.safetensors  W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in],
 *                                  threshold [d_sae] (jumprelu)
 *
 * Our architecture -> SAELens: relu-l1 -> "standard"; topk and matryoshka -> "topk" (same
 * inference: scatter(ReLU(topk(z, k)))); batch-topk -> "jumprelu" with theta for every latent
 * (SAELens saves BatchTopK the same way); jumprelu -> "jumprelu" (theta itself, not log theta).
 * The input normalisation is folded into the weights first, so `normalize_activations` is "none"
 * (SAELens `fold_activation_norm_scaling_factor`). SAELens ignores unknown cfg fields, so our
 * own config travels in "gensparse" and restores the exact architecture on load here.
 * Node only (files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadSafetensors, saveSafetensors, writeFileAtomic } from '../core/checkpoint';
import { InputError } from '../core/errors';
import type { SparseAutoencoder } from './base';
import { type SaeConfig, createSae, saeConfigOf } from './create';

/** SAELens' free metadata (model_name, hook_name, context_size, dataset_path, ...). */
export type SaeLensMetadata = Record<string, string | number | boolean | null>;

/** The SAELens architecture name an SAE is saved under. */
export function saeLensArchitecture(sae: SparseAutoencoder): 'standard' | 'topk' | 'jumprelu' {
  switch (sae.architecture) {
    case 'relu-l1':
      return 'standard';
    case 'topk':
    case 'matryoshka':
      return 'topk';
    case 'batch-topk':
    case 'jumprelu':
      return 'jumprelu';
  }
}

/** Writes `cfg.json` and `sae_weights.safetensors` into `dir` (created if needed), atomically each. */
export async function saveSaeLens(dir: string, sae: SparseAutoencoder, metadata: SaeLensMetadata = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const weights = sae.foldedWeights();
  try {
    await saveSafetensors(path.join(dir, 'sae_weights.safetensors'), weights);
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
  const architecture = saeLensArchitecture(sae);
  const cfg: Record<string, unknown> = {
    architecture,
    d_in: sae.dIn,
    d_sae: sae.nLatents,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: sae.applyBDecToInput,
    normalize_activations: 'none',
    reshape_activations: 'none',
    metadata,
  };
  if (architecture === 'topk') cfg.k = (sae as unknown as { k: number }).k;
  cfg.gensparse = saeConfigOf(sae);
  writeFileAtomic(path.join(dir, 'cfg.json'), `${JSON.stringify(cfg, null, 2)}\n`);
}

/**
 * Loads an SAE saved by SAELens (or by `saveSaeLens`). Our own "gensparse" config wins when
 * present; otherwise the SAELens architecture maps to ours ("standard" -> relu-l1, "topk" ->
 * topk with cfg.k, "jumprelu" -> jumprelu). `overrides` (e.g. `{useKernels: false}`) apply last.
 */
export function loadSaeLens(dir: string, overrides: Partial<SaeConfig> = {}): SparseAutoencoder {
  const cfgFile = path.join(dir, 'cfg.json');
  if (!fs.existsSync(cfgFile)) throw new InputError('dir', `${dir} has no cfg.json: not an SAELens folder`);
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, any>;
  for (const field of ['architecture', 'd_in', 'd_sae']) {
    if (cfg[field] === undefined) throw new InputError(`cfg.${field}`, `missing from ${cfgFile}`);
  }
  const norm = cfg.normalize_activations ?? 'none';
  if (norm !== 'none') {
    throw new InputError(
      'cfg.normalize_activations',
      `'${norm}' needs a runtime scaling factor; fold it into the weights and save with 'none'`,
    );
  }
  if ((cfg.reshape_activations ?? 'none') !== 'none') {
    throw new InputError('cfg.reshape_activations', `only 'none' is supported, got '${cfg.reshape_activations}'`);
  }
  const common = {
    dIn: cfg.d_in as number,
    nLatents: cfg.d_sae as number,
    applyBDecToInput: cfg.apply_b_dec_to_input ?? true,
  };
  let config: SaeConfig;
  if (cfg.gensparse) {
    config = cfg.gensparse as SaeConfig;
  } else if (cfg.architecture === 'standard') {
    config = { architecture: 'relu-l1', ...common };
  } else if (cfg.architecture === 'topk') {
    if (cfg.k === undefined) throw new InputError('cfg.k', `missing for architecture 'topk' in ${cfgFile}`);
    config = { architecture: 'topk', k: cfg.k as number, ...common };
  } else if (cfg.architecture === 'jumprelu') {
    config = { architecture: 'jumprelu', ...common };
  } else {
    throw new InputError(
      'cfg.architecture',
      `'${cfg.architecture}' is not supported; one of 'standard', 'topk', 'jumprelu'`,
    );
  }
  const sae = createSae({ ...config, ...overrides } as SaeConfig);
  const { tensors } = loadSafetensors(path.join(dir, 'sae_weights.safetensors'));
  try {
    const need = ['W_enc', 'W_dec', 'b_enc', 'b_dec', ...(cfg.architecture === 'jumprelu' ? ['threshold'] : [])];
    for (const name of need)
      if (!tensors[name]) throw new InputError('sae_weights.safetensors', `has no '${name}' tensor`);
    const expected: Record<string, number[]> = {
      W_enc: [sae.dIn, sae.nLatents],
      W_dec: [sae.nLatents, sae.dIn],
      b_enc: [sae.nLatents],
      b_dec: [sae.dIn],
      threshold: [sae.nLatents],
    };
    for (const [name, shape] of Object.entries(expected)) {
      if (tensors[name] && tensors[name].shape.join() !== shape.join()) {
        throw new InputError(name, `shape [${tensors[name].shape}] does not match cfg.json's [${shape}]`);
      }
    }
    if (sae.architecture === 'batch-topk' && tensors.threshold) {
      // SAELens' BatchTopK-as-JumpReLU: one global threshold, the same for every latent.
      tf.tidy(() => sae.params.assign({ threshold: tensors.threshold.max() }));
    }
    sae.loadWeights(tensors);
  } catch (e) {
    sae.dispose();
    throw e;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  return sae;
}

/**
 * Saving and loading SAEs in SAELens' on-disk layout (v6, `sae_lens/saes/sae.py`), so a model
 * trained here loads in that ecosystem and one trained there (e.g. a Gemma Scope JumpReLU) runs here.
 *
 *   <dir>/cfg.json                 {"architecture", "d_in", "d_sae", "dtype", "device",
 *                                   "apply_b_dec_to_input", "normalize_activations", "reshape_activations",
 *                                   "metadata", "k" (topk only), "gensparse" (our full config)}
 *   <dir>/sae_weights.safetensors  W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in]
 *                                  and the architecture's own tensors (a JumpReLU's threshold [d_sae])
 *
 * Each architecture registers its SAELens side (registry.ts `SaeLensHooks`): the SAELens name it
 * is saved under, its extra cfg.json fields, its tensors, and which SAELens folders without our
 * config block it reads. The input normalisation is folded into the weights first, so
 * `normalize_activations` is "none" (SAELens `fold_activation_norm_scaling_factor`). SAELens
 * ignores unknown cfg fields, so our own config travels in "gensparse" and restores the exact
 * architecture on load here.
 * Node only (files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  type LoadOptions,
  readJsonObject,
  readSafetensorsHeader,
  readSafetensorsTensors,
  recoverFolder,
  safetensorsBytes,
  writeFolderAtomic,
} from '../core/checkpoint';
import { InputError } from '../base/errors';
import { LIMITS, checkParamCount } from '../core/limits';
import { saeArchitecture, saeArchitectures } from './architectures';
import type { SparseAutoencoder } from './base';
import { type SaeConfig, createSae, saeConfigOf } from './create';
import { standardWeightShapes } from './registry';

/** SAELens' free metadata (model_name, hook_name, context_size, dataset_path, ...). */
export type SaeLensMetadata = Record<string, string | number | boolean | null>;

/** The SAELens architecture name an SAE is saved under. */
export function saeLensArchitecture(sae: SparseAutoencoder): string {
  return saeArchitecture(sae.architecture).saeLens.architecture;
}

/**
 * Writes `cfg.json` and `sae_weights.safetensors` as the folder `dir`, atomically as a whole:
 * a reader finds the complete previous save or the complete new one, also after a kill (the
 * weights of one save never sit beside the config of another; see core/atomic.ts).
 */
export async function saveSaeLens(dir: string, sae: SparseAutoencoder, metadata: SaeLensMetadata = {}): Promise<void> {
  const hooks = saeArchitecture(sae.architecture).saeLens;
  const weights = hooks.saveWeights ? hooks.saveWeights(sae) : sae.foldedWeights();
  let bytes: Uint8Array;
  try {
    bytes = await safetensorsBytes(weights);
  } finally {
    for (const t of Object.values(weights)) t.dispose();
  }
  const cfg: Record<string, unknown> = {
    architecture: hooks.architecture,
    d_in: sae.dIn,
    d_sae: sae.nLatents,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: sae.applyBDecToInput,
    normalize_activations: 'none',
    reshape_activations: 'none',
    metadata,
    ...hooks.cfgFields?.(sae),
  };
  cfg.gensparse = saeConfigOf(sae);
  writeFolderAtomic(dir, { 'sae_weights.safetensors': bytes, 'cfg.json': `${JSON.stringify(cfg, null, 2)}\n` });
}

/** Options of `loadSaeLens`: the size limits (src/core/limits.ts), each overridable. */
export interface SaeLensLoadOptions extends LoadOptions {
  /** Largest model built (default LIMITS.maxParameters). */
  maxParameters?: number;
}

/** The float dtypes a weights file may hold (F16/BF16/F64 are widened or narrowed to float32). */
const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];

/**
 * Loads an SAE saved by SAELens (or by `saveSaeLens`). Our own "gensparse" config wins when
 * present; otherwise the architecture registered to read that SAELens name builds it ("standard"
 * -> relu-l1, "topk" -> topk with cfg.k, ...). `overrides` (e.g. `{useKernels: false}`) apply last.
 *
 * Everything is checked before the model is built: cfg.json (a JSON object, sizes within
 * `maxParameters`), then the weights file's header (names, shapes and dtypes against cfg.json,
 * sizes against the file and `maxBytes`). A load that fails disposes whatever it made.
 */
export function loadSaeLens(
  dir: string,
  overrides: Partial<SaeConfig> = {},
  opts: SaeLensLoadOptions = {},
): SparseAutoencoder {
  recoverFolder(dir); // finish a save that was killed mid-swap
  const cfgFile = path.join(dir, 'cfg.json');
  if (!fs.existsSync(cfgFile)) throw new InputError('dir', `${dir} has no cfg.json: not an SAELens folder`);
  const cfg = readJsonObject(cfgFile, opts);
  for (const field of ['architecture', 'd_in', 'd_sae']) {
    if (cfg[field] === undefined) throw new InputError(`cfg.${field}`, `missing from ${cfgFile}`);
  }
  const maxParameters = opts.maxParameters ?? LIMITS.maxParameters;
  const dIn = cfgInt(cfg, 'd_in', cfgFile, maxParameters);
  const dSae = cfgInt(cfg, 'd_sae', cfgFile, maxParameters);
  checkParamCount(`cfg.d_in x cfg.d_sae in ${cfgFile}`, 2 * dIn * dSae + 2 * dSae + dIn, maxParameters);
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
  const common = { dIn, nLatents: dSae, applyBDecToInput: (cfg.apply_b_dec_to_input ?? true) as boolean };
  let config: SaeConfig;
  if (cfg.gensparse !== undefined) {
    const own = cfg.gensparse as SaeConfig;
    if (own === null || typeof own !== 'object' || own.dIn !== dIn || own.nLatents !== dSae) {
      throw new InputError(
        'cfg.gensparse',
        `must be an SAE config with dIn ${dIn} and nLatents ${dSae} (cfg.d_in, cfg.d_sae) in ${cfgFile}`,
      );
    }
    const savedAs = saeArchitecture(own.architecture).saeLens.architecture;
    if (savedAs !== cfg.architecture) {
      throw new InputError(
        'cfg.architecture',
        `is '${cfg.architecture}', but a '${own.architecture}' SAE (cfg.gensparse) is saved as '${savedAs}' in ${cfgFile}`,
      );
    }
    config = own;
  } else {
    const reader = saeArchitectures().find((e) => e.saeLens.readFolder && e.saeLens.architecture === cfg.architecture);
    if (!reader?.saeLens.readFolder) {
      const names = saeArchitectures().flatMap((e) => (e.saeLens.readFolder ? [`'${e.saeLens.architecture}'`] : []));
      throw new InputError('cfg.architecture', `'${cfg.architecture}' is not supported; one of ${names.join(', ')}`);
    }
    config = reader.saeLens.readFolder(cfg, common, cfgFile) as SaeConfig;
  }
  const hooks = saeArchitecture(config.architecture).saeLens;

  // The weights: names, shapes and dtypes from the header, before any tensor or model exists.
  const weightsFile = path.join(dir, 'sae_weights.safetensors');
  const header = readSafetensorsHeader(weightsFile, opts);
  const expected = (hooks.weightShapes ?? standardWeightShapes)(dIn, dSae);
  const names = Object.keys(header.entries);
  const missing = Object.keys(expected).filter((n) => !names.includes(n));
  const extra = names.filter((n) => !(n in expected));
  if (missing.length || extra.length) {
    throw new InputError(
      weightsFile,
      `tensors do not match a '${cfg.architecture}' SAE (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`,
    );
  }
  for (const [name, shape] of Object.entries(expected)) {
    const e = header.entries[name];
    if (e.shape.join() !== shape.join())
      throw new InputError(name, `shape [${e.shape}] in ${weightsFile} does not match cfg.json's [${shape}]`);
    if (!FLOAT_DTYPES.includes(e.dtype))
      throw new InputError(
        name,
        `dtype ${e.dtype} in ${weightsFile}; weights must be one of ${FLOAT_DTYPES.join(', ')}`,
      );
  }

  const tensors = readSafetensorsTensors(weightsFile, header, opts);
  try {
    // A raised limit applies to the model built too (createSae checks its own maxParameters).
    const limit = opts.maxParameters === undefined ? {} : { maxParameters: opts.maxParameters };
    const sae = createSae({ ...config, ...limit, ...overrides } as SaeConfig);
    try {
      for (const [name, t] of Object.entries(tensors)) {
        const want = name === 'W_enc' ? [sae.dIn, sae.nLatents] : name === 'W_dec' ? [sae.nLatents, sae.dIn] : null;
        if (want && t.shape.join() !== want.join())
          throw new InputError('overrides', `change the SAE's sizes to [${want}], but ${name} is [${t.shape}]`);
      }
      if (hooks.loadWeights) hooks.loadWeights(sae, tensors);
      else sae.loadWeights(tensors);
      return sae;
    } catch (e) {
      sae.dispose();
      throw e;
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** A size from cfg.json: an integer in [1, max], or an InputError naming the field and the file. */
function cfgInt(cfg: Record<string, unknown>, field: string, file: string, max: number): number {
  const v = cfg[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw new InputError(
      `cfg.${field}`,
      `must be an integer in [1, ${max}] (maxParameters), got ${JSON.stringify(v)} in ${file}`,
    );
  return v;
}

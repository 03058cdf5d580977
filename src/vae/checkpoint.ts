/**
 * Saving and loading a trained VAE (Node only): a checkpoint folder from the core
 * (`model.safetensors` with every parameter by its local name, `config.json` with the
 * validated `VaeConfig`), written atomically.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError, Rng } from '../core';
import { type LoadOptions, loadCheckpoint, saveCheckpoint } from '../core/checkpoint';
import { Vae, type VaeConfig, type VaeOptions } from './model';

/** What `config.json` holds for a VAE checkpoint. */
export interface VaeCheckpointConfig {
  kind: 'gensparse-vae';
  vae: VaeConfig;
  /** Free-form facts about the run (epochs, held-out -ELBO, ...). */
  meta?: Record<string, unknown>;
}

/** Saves the model's parameters and config into `dir`. */
export async function saveVae(dir: string, model: Vae, meta: Record<string, unknown> = {}): Promise<void> {
  const tensors = model.params.snapshot();
  try {
    await saveCheckpoint<VaeCheckpointConfig>(dir, {
      config: { kind: 'gensparse-vae', vae: model.config, meta },
      tensors,
    });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Rebuilds a VAE from a folder written by `saveVae`; every parameter must be present with its
 * shape. `opts` raises the size limits (maxBytes, maxParameters, ...). A failed load disposes
 * everything it made, and every error names the folder or file at fault.
 */
export function loadVae(
  dir: string,
  opts: LoadOptions & VaeOptions = {},
): { model: Vae; meta: Record<string, unknown> } {
  const { config, tensors } = loadCheckpoint<VaeCheckpointConfig>(dir, opts);
  let model: Vae | null = null;
  try {
    const configFile = path.join(dir, 'config.json');
    if (config.kind !== 'gensparse-vae')
      throw new InputError('dir', `${dir} holds a '${String(config.kind)}' checkpoint, not a gensparse VAE`);
    if (config.vae === null || typeof config.vae !== 'object')
      throw new InputError(configFile, `has no "vae" config object (got ${JSON.stringify(config.vae)})`);
    model = new Vae(config.vae, new Rng(0), opts); // weights are overwritten below
    const missing = model.params.missingFrom(tensors);
    const extra = Object.keys(tensors).filter((n) => !model?.params.has(n));
    if (missing.length || extra.length) {
      throw new InputError(
        'dir',
        `${dir}: parameters do not match the config (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`,
      );
    }
    for (const [name, t] of Object.entries(tensors)) {
      const want = model.params.get(name).shape;
      if (t.shape.join() !== want.join())
        throw new InputError(name, `shape [${t.shape}] in ${dir} does not match the config's [${want}]`);
    }
    model.params.assign(tensors);
    return { model, meta: (config.meta ?? {}) as Record<string, unknown> };
  } catch (e) {
    model?.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * Saving and loading a trained VAE (Node only): a checkpoint folder from the core
 * (`model.safetensors` with every parameter by its local name, `config.json` with the
 * validated `VaeConfig`), written atomically.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, Rng } from '../core';
import { loadCheckpoint, saveCheckpoint } from '../core/checkpoint';
import { Vae, type VaeConfig } from './model';

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

/** Rebuilds a VAE from a folder written by `saveVae`; every parameter must be present with its shape. */
export function loadVae(dir: string): { model: Vae; meta: Record<string, unknown> } {
  const { config, tensors } = loadCheckpoint<VaeCheckpointConfig>(dir);
  try {
    if (config.kind !== 'gensparse-vae')
      throw new InputError('dir', `${dir} holds a '${String(config.kind)}' checkpoint, not a gensparse VAE`);
    const model = new Vae(config.vae, new Rng(0)); // weights are overwritten below
    const missing = model.params.missingFrom(tensors);
    const extra = Object.keys(tensors).filter((n) => !model.params.has(n));
    if (missing.length || extra.length) {
      model.dispose();
      throw new InputError(
        'dir',
        `${dir}: parameters do not match the config (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`,
      );
    }
    model.params.assign(tensors);
    return { model, meta: config.meta ?? {} };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * SAELens v6 configs as ours: `saeConfigFromSaeLens(cfg)` turns an SAELens config object
 * (`cfg.json`, or the SAE part of a training config; sae_lens/saes/*.py) into a config `createSae`
 * takes. Each architecture registers the SAELens training-config name it reads and the field
 * mapping (registry.ts `SaeLensHooks.trainingConfig`), e.g. 'standard' -> 'relu-l1' with
 * l1_coefficient -> l1Coefficient; d_in, d_sae, apply_b_dec_to_input map to dIn, nLatents,
 * applyBDecToInput for all.
 * Free metadata and runtime fields (device, metadata, model_name, hook_name, ...) are not part of
 * a model config and are left out; anything else unknown, a dtype other than float32, input
 * normalisation or reshaping throws a ConfigError naming the field.
 */
import { ConfigError } from '../base/errors';
import { saeArchitectures } from './architectures';
import type { SaeConfig } from './registry';

/** SAELens fields that describe where activations come from or where the model runs, not the model. */
const NOT_MODEL_FIELDS = [
  'device',
  'metadata',
  'model_name',
  'hook_name',
  'hook_layer',
  'hook_head_index',
  'context_size',
  'dataset_path',
  'dataset_trust_remote_code',
  'prepend_bos',
  'model_from_pretrained_kwargs',
  'seqpos_slice',
  'sae_lens_version',
  'sae_lens_training_version',
  'neuronpedia_id',
  'gensparse',
];

/** The fields every SAELens config shares, and ours. */
const COMMON_FIELDS: Record<string, string> = {
  d_in: 'dIn',
  d_sae: 'nLatents',
  apply_b_dec_to_input: 'applyBDecToInput',
};

/**
 * SAELens field names whose name differs from ours, each with ours (or where that setting lives
 * here): the common ones, every registered architecture's, and the runtime ones.
 */
export function saeLensFieldNames(): Record<string, string> {
  const out: Record<string, string> = { ...COMMON_FIELDS };
  for (const e of saeArchitectures()) Object.assign(out, e.saeLens.trainingConfig?.fields);
  Object.assign(out, {
    normalize_activations: '(the trainer option normalizeInput)',
    dtype: '(always float32)',
    device: '(the backend: initBackend)',
  });
  for (const [theirs, ours] of Object.entries(out)) if (theirs === ours) delete out[theirs];
  return out;
}

/** The registered SAELens training-config names: SAELens name -> our architecture and its fields. */
function convertible(): Record<string, { ours: string; fields: Record<string, string>; required: string[] }> {
  const out: Record<string, { ours: string; fields: Record<string, string>; required: string[] }> = {};
  for (const e of saeArchitectures()) {
    const t = e.saeLens.trainingConfig;
    if (t) out[t.architecture] = { ours: e.name, fields: t.fields, required: t.required ?? [] };
  }
  return out;
}

/** Our config for an SAELens v6 config object (see the module comment for the mapping). */
export function saeConfigFromSaeLens(cfg: Record<string, unknown>): SaeConfig {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
    throw new ConfigError('cfg', `must be an SAELens config object, got ${String(cfg)}`);
  }
  const arch = cfg.architecture;
  const known = convertible();
  if (typeof arch !== 'string' || !(arch in known)) {
    throw new ConfigError(
      'cfg.architecture',
      `must be one of ${Object.keys(known)
        .map((a) => `'${a}'`)
        .join(', ')} (SAELens names), got ${JSON.stringify(arch)}`,
    );
  }
  if ((cfg.dtype ?? 'float32') !== 'float32') {
    throw new ConfigError('cfg.dtype', `only 'float32' is supported, got ${JSON.stringify(cfg.dtype)}`);
  }
  if ((cfg.normalize_activations ?? 'none') !== 'none') {
    throw new ConfigError(
      'cfg.normalize_activations',
      `only 'none' describes a model; for ${JSON.stringify(cfg.normalize_activations)} train with the ` +
        "SaeTrainer option normalizeInput: true (it estimates E||x||^2 = d as SAELens' expected_average_only_in)",
    );
  }
  if ((cfg.reshape_activations ?? 'none') !== 'none') {
    throw new ConfigError(
      'cfg.reshape_activations',
      `only 'none' is supported, got ${JSON.stringify(cfg.reshape_activations)}`,
    );
  }
  const fields: Record<string, string> = { ...COMMON_FIELDS, ...known[arch].fields };
  const out: Record<string, unknown> = { architecture: known[arch].ours };
  for (const [key, value] of Object.entries(cfg)) {
    if (['architecture', 'dtype', 'normalize_activations', 'reshape_activations'].includes(key)) continue;
    if (NOT_MODEL_FIELDS.includes(key)) continue;
    const ours = fields[key];
    if (!ours) {
      throw new ConfigError(
        `cfg.${key}`,
        `is not a field this converter knows for architecture '${arch}'; it maps ${Object.keys(fields).join(', ')}`,
      );
    }
    out[ours] = value;
  }
  for (const key of ['d_in', 'd_sae', ...known[arch].required]) {
    if (cfg[key] === undefined) throw new ConfigError(`cfg.${key}`, `is required for architecture '${arch}'`);
  }
  return out as unknown as SaeConfig;
}

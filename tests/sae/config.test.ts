/**
 * createSae and forward reject bad input with named errors before anything is allocated:
 * null and wrong types, strings for booleans, unknown keys (naming the keys that exist),
 * SAELens field names (pointing to the converter), sizes past maxParameters, dead-latent
 * indices out of range, empty batches. saeConfigFromSaeLens maps SAELens v6 configs to ours.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError } from '../../src/base/errors';
import { type SaeConfig, createSae } from '../../src/sae/create';
import { disposeOutput } from '../../src/sae/base';
import { saeConfigFromSaeLens } from '../../src/sae/saelens-config';

/** Runs `fn`, expecting it to throw `type` matching `message`, and no tensor to be left behind. */
function expectRejected(fn: () => unknown, type: typeof ConfigError | typeof InputError, message: RegExp): void {
  const before = tf.memory().numTensors;
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

const topk: SaeConfig = { architecture: 'topk', dIn: 8, nLatents: 16, k: 2 };

test('createSae(null), createSae(undefined) and a string give a ConfigError naming config', () => {
  for (const bad of [null, undefined, 'topk', 3, []]) {
    expectRejected(() => createSae(bad as unknown as SaeConfig), ConfigError, /^config: must be an object/);
  }
});

test('booleans must be booleans: tiedInit "no", useKernels "false", multiTopK 1 are rejected', () => {
  expectRejected(
    () => createSae({ ...topk, tiedInit: 'no' } as unknown as SaeConfig),
    ConfigError,
    /^tiedInit: must be true or false, got 'no'/,
  );
  expectRejected(
    () => createSae({ ...topk, useKernels: 'false' } as unknown as SaeConfig),
    ConfigError,
    /^useKernels: must be true or false/,
  );
  expectRejected(
    () => createSae({ ...topk, multiTopK: 1 } as unknown as SaeConfig),
    ConfigError,
    /^multiTopK: must be true or false/,
  );
});

test('an unknown key is rejected, naming the keys that exist', () => {
  expectRejected(
    () => createSae({ ...topk, kk: 3 } as unknown as SaeConfig),
    ConfigError,
    /^kk: is not an option of the 'topk' SAE; the options are architecture, dIn, nLatents, .*k, auxKCoefficient/,
  );
  expectRejected(
    () => createSae({ architecture: 'jumprelu', dIn: 4, nLatents: 8, k: 2 } as unknown as SaeConfig),
    ConfigError,
    /^k: is not an option of the 'jumprelu' SAE/,
  );
});

test('SAELens-style keys and architecture names point to saeConfigFromSaeLens', () => {
  expectRejected(
    () => createSae({ architecture: 'topk', d_in: 256, d_sae: 2048, k: 8 } as unknown as SaeConfig),
    ConfigError,
    /^d_in: is an SAELens field name \(ours: dIn\); convert .* saeConfigFromSaeLens/,
  );
  expectRejected(
    () => createSae({ d_in: 256, d_sae: 2048 } as unknown as SaeConfig),
    ConfigError,
    /^architecture: missing, and d_in, d_sae are SAELens field names; convert .* saeConfigFromSaeLens/,
  );
  expectRejected(
    () => createSae({ architecture: 'standard', dIn: 4, nLatents: 8 } as unknown as SaeConfig),
    ConfigError,
    /^architecture: 'standard' is an SAELens architecture name \(ours: 'relu-l1'\)/,
  );
});

test('saeConfigFromSaeLens maps SAELens v6 configs of every supported architecture', () => {
  const common = { d_in: 6, d_sae: 12, dtype: 'float32', device: 'cpu', apply_b_dec_to_input: false };
  const meta = { metadata: { model_name: 'm', hook_name: 'h' }, normalize_activations: 'none' };
  const cases: [Record<string, unknown>, Record<string, unknown>][] = [
    [
      { architecture: 'standard', ...common, ...meta, l1_coefficient: 2 },
      { architecture: 'relu-l1', dIn: 6, nLatents: 12, applyBDecToInput: false, l1Coefficient: 2 },
    ],
    [
      { architecture: 'topk', ...common, k: 3, aux_loss_coefficient: 0.5 },
      { architecture: 'topk', dIn: 6, nLatents: 12, applyBDecToInput: false, k: 3, auxKCoefficient: 0.5 },
    ],
    [
      { architecture: 'batchtopk', ...common, k: 3 },
      { architecture: 'batch-topk', dIn: 6, nLatents: 12, applyBDecToInput: false, k: 3 },
    ],
    [
      { architecture: 'jumprelu', ...common, jumprelu_bandwidth: 0.1, jumprelu_init_threshold: 0.2, l0_coefficient: 3 },
      {
        architecture: 'jumprelu',
        dIn: 6,
        nLatents: 12,
        applyBDecToInput: false,
        bandwidth: 0.1,
        initialThreshold: 0.2,
        l0Coefficient: 3,
      },
    ],
  ];
  for (const [cfg, want] of cases) {
    const config = saeConfigFromSaeLens(cfg);
    expect(config).toEqual(want);
    const sae = createSae(config);
    expect([sae.dIn, sae.nLatents, sae.applyBDecToInput]).toEqual([6, 12, false]);
    sae.dispose();
  }
  expect(() => saeConfigFromSaeLens({ architecture: 'no-such-architecture', d_in: 4, d_sae: 8 })).toThrow(
    /^cfg\.architecture: must be one of 'standard', 'topk', 'batchtopk', 'jumprelu'/,
  );
  expect(() => saeConfigFromSaeLens({ architecture: 'topk', d_in: 4, d_sae: 8 })).toThrow(/^cfg\.k: is required/);
  expect(() => saeConfigFromSaeLens({ architecture: 'topk', d_in: 4, d_sae: 8, k: 2, l1_coefficient: 1 })).toThrow(
    /^cfg\.l1_coefficient: is not a field this converter knows for architecture 'topk'/,
  );
  expect(() =>
    saeConfigFromSaeLens({ architecture: 'standard', d_in: 4, d_sae: 8, normalize_activations: 'layer_norm' }),
  ).toThrow(/^cfg\.normalize_activations: only 'none' describes a model/);
  expect(() => saeConfigFromSaeLens({ architecture: 'standard', d_in: 4, d_sae: 8, dtype: 'bfloat16' })).toThrow(
    /^cfg\.dtype/,
  );
  expect(() => saeConfigFromSaeLens(null as unknown as Record<string, unknown>)).toThrow(/^cfg: must be/);
});

test('sizes past maxParameters (or absurd) give a named error before anything is allocated', () => {
  expectRejected(
    () => createSae({ architecture: 'relu-l1', dIn: 16384, nLatents: 65536 }),
    ConfigError,
    /^nLatents: dIn=16384 x nLatents=65536 makes 2147565568 parameters \(8\.00 GiB\), more than maxParameters=268435456/,
  );
  expectRejected(
    () => createSae({ architecture: 'relu-l1', dIn: 1e300, nLatents: 4 }),
    ConfigError,
    /^nLatents: .*maxParameters/,
  );
  // overridable both ways
  expectRejected(() => createSae({ ...topk, maxParameters: 100 }), ConfigError, /more than maxParameters=100/);
  const sae = createSae({ ...topk, maxParameters: 2 * 8 * 16 + 8 + 16 });
  expect(sae.config.maxParameters).toBe(280);
  sae.dispose();
});

test('forward(null), an empty batch, bad options and dead indices out of range give named errors, no leak', () => {
  const sae = createSae(topk);
  const x = tf.randomNormal([3, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
  const empty = tf.zeros([0, 8]) as tf.Tensor2D;
  expectRejected(
    () => sae.forward(null as unknown as tf.Tensor2D),
    InputError,
    /^x: must be a tf\.Tensor of shape \[B, 8\]/,
  );
  expectRejected(() => sae.encode(undefined as unknown as tf.Tensor2D), InputError, /^x: must be a tf\.Tensor/);
  expectRejected(() => sae.forward(empty), InputError, /^x: expected shape \[\*, 8\], got \[0, 8\]: empty/);
  expectRejected(
    () => sae.forward(x, { deadLatents: Int32Array.from([3, -1]) }),
    InputError,
    /^deadLatents: must hold indices in \[0, 15\], got -1 at 1/,
  );
  expectRejected(() => sae.forward(x, { deadLatents: Int32Array.from([16]) }), InputError, /got 16 at 0/);
  expectRejected(
    () => sae.forward(x, { deadLatents: [1, 2] as unknown as Int32Array }),
    InputError,
    /^deadLatents: must be an Int32Array/,
  );
  expectRejected(
    () => sae.forward(x, { training: 'yes' as unknown as boolean }),
    InputError,
    /^options\.training: must be true or false/,
  );
  const ok = sae.forward(x, { deadLatents: Int32Array.from([0, 15]) });
  disposeOutput(ok);
  tf.dispose([x, empty]);
  sae.dispose();
});

test('createSae is typed by architecture: a TopK SAE has k, a JumpReLU SAE its bandwidth', () => {
  const sae = createSae({ architecture: 'topk', dIn: 4, nLatents: 8, k: 3 });
  const k: number = sae.k; // type-checks without a cast
  const jr = createSae({ architecture: 'jumprelu', dIn: 4, nLatents: 8 });
  const eps: number = jr.bandwidth;
  expect([k, eps]).toEqual([3, 0.05]);
  sae.dispose();
  jr.dispose();
});

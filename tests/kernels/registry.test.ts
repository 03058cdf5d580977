/**
 * The kernels are registered for the cpu and wasm backends and actually run (not the reference),
 * and setUseKernels(false) switches every op back to its reference.
 */
import * as tf from '@tensorflow/tfjs';
import * as kernels from '../../kernels';

test('every forward and backward kernel is registered on the active (cpu or wasm) backend', () => {
  expect(['cpu', 'wasm']).toContain(tf.getBackend());
  // the GPU backward's densify step; the GPU sampling kernels (cpu/wasm run the fused forward that keeps eps)
  const gpuOnly: string[] = [
    kernels.KERNEL_NAMES.densify,
    kernels.KERNEL_NAMES.reparamSample,
    kernels.KERNEL_NAMES.reparamSampleGrad,
  ];
  for (const name of Object.values(kernels.KERNEL_NAMES).filter((x) => !gpuOnly.includes(x))) {
    expect([name, kernels.hasKernel(name)]).toEqual([name, true]);
  }
});

test('ops run through their kernel (recorded under the kernel name), and setUseKernels(false) switches back', async () => {
  const z = tf.randomNormal([4, 20], 0, 1, 'float32', 3) as tf.Tensor2D;
  const profile = await tf.profile(() => kernels.topkActivation(z, 3).valuesBK);
  expect(profile.kernels.map((k) => k.name)).toContain(kernels.KERNEL_NAMES.topk);
  kernels.setUseKernels(false);
  try {
    expect(kernels.kernelActive(kernels.KERNEL_NAMES.topk)).toBe(false);
    const ref = await tf.profile(() => kernels.topkActivation(z, 3).valuesBK);
    expect(ref.kernels.map((k) => k.name)).not.toContain(kernels.KERNEL_NAMES.topk);
  } finally {
    kernels.setUseKernels(true);
  }
  z.dispose();
});

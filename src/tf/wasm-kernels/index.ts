/**
 * Training kernels for @tensorflow/tfjs-backend-wasm 4.x, registered only when the wasm backend is selected (the
 * native backends have their own). Some gradients wasm does not ship at all, so that a convolutional layer could
 * run forward but not be trained; others it ships as scalar loops that dominate a training step. Both kinds are
 * written here on the backend's fast paths (XNNPACK matrix products and convolutions) or as single passes over
 * its heap, and checked against the cpu backend in test/wasm-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, adamUpdate } from './adam-update.js';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-backprop.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise-backprop.js';
import { sharedIdentity } from './identity.js';
import { withoutTransposes } from './mat-mul.js';
import { avgPoolGrad, maxPoolGrad } from './pool-grad.js';
import { asKernelFunc, type WasmKernel } from './wasm-memory.js';

/** Kernels wasm lacks. */
const missing: Array<[string, WasmKernel]> = [
  ['Conv2DBackpropFilter', conv2DBackpropFilter],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput],
  // Not a TF.js kernel: the fused Adam step (src/training/adam.ts) that TF.js has no kernel for.
  [ADAM_UPDATE, adamUpdate],
];

/** Kernels wasm ships slowly, each replaced by one that may hand cases it does not cover back to the shipped one. */
const replacements: Array<[string, (shipped: tf.KernelFunc) => WasmKernel]> = [
  ['BatchMatMul', withoutTransposes],
  ['_FusedMatMul', withoutTransposes],
  ['Conv2DBackpropInput', conv2DBackpropInput],
  ['MaxPoolGrad', () => maxPoolGrad],
  ['AvgPoolGrad', () => avgPoolGrad],
  ['Identity', sharedIdentity],
];

const registered = new WeakSet<tf.KernelFunc>();

/** Registers the training kernels for the wasm backend; idempotent. */
export function registerWasmTrainingKernels(): void {
  for (const [kernelName, kernel] of missing) {
    if (tf.getKernel(kernelName, 'wasm')) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: asKernelFunc(kernel) });
  }
  for (const [kernelName, replace] of replacements) {
    const shipped = tf.getKernel(kernelName, 'wasm');
    if (!shipped || registered.has(shipped.kernelFunc)) continue;
    const kernelFunc = asKernelFunc(replace(shipped.kernelFunc));
    registered.add(kernelFunc);
    tf.unregisterKernel(kernelName, 'wasm');
    // The shipped setup stays, so that the shipped function keeps working if the backend is initialised again.
    tf.registerKernel({ ...shipped, kernelFunc });
  }
}

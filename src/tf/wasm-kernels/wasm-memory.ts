/**
 * What the training kernels share: views of tensors in the wasm heap, tensors allocated there, and calls into the
 * backend's own kernels (which run natively, with XNNPACK where they can).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
export type Rounding = 'floor' | 'round' | 'ceil' | undefined;
export type Shape4 = [number, number, number, number];

export interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: Rounding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
}

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}

/** A kernel written against the wasm backend; registered through {@link asKernelFunc}. */
export type WasmKernel = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

export function asKernelFunc(kernel: WasmKernel): tf.KernelFunc {
  return (args) => kernel(args as unknown as KernelArgs);
}

export function assertChannelsLast(kernel: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm supports only NHWC data`);
}

/**
 * A float32 view of a tensor's data in the wasm heap, read and written in place. Any allocation may grow the heap
 * and detach the view, so a kernel allocates everything it needs before taking views.
 */
export function heapView(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** A float32 tensor on the wasm heap; its memory is not cleared. */
export function allocate(backend: BackendWasm, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/** The same data under another shape of the same size (no copy, no new reference). */
export function withShape(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

export function release(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Runs a kernel registered for wasm (the backend's own, or one registered here) inside another kernel. */
export function runKernel(
  name: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: Record<string, unknown>,
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** a · b for 2-D tensors, through the backend's matrix multiply (XNNPACK when neither is transposed). */
export function matMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return runKernel('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
}

/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.x does not ship. Without them a convolutional layer can
 * run forward on wasm but cannot be trained. They are plain loops over the backend's memory, registered only
 * when the wasm backend is selected; the native backends have their own.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: Rounding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
}

function assertChannelsLast(kernel: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on wasm supports only NHWC data`);
}

function read(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  return backend.readSync(info.dataId) as Float32Array;
}

const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  assertChannelsLast('Conv2DBackpropFilter', a);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const xs = read(wasm, x);
  const dys = read(wasm, dy);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const dyOffset = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = yR * strideHeight + wR - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC - left;
            if (xC < 0 || xC >= inWidth) continue;
            const xOffset = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const wOffset = (wR * filterWidth + wC) * inChannels * outChannels;
            for (let d1 = 0; d1 < inChannels; d1++) {
              const xv = xs[xOffset + d1]!;
              if (xv === 0) continue;
              const row = wOffset + d1 * outChannels;
              for (let d2 = 0; d2 < outChannels; d2++) dW[row + d2]! += xv * dys[dyOffset + d2]!;
            }
          }
        }
      }
    }
  }
  return wasm.makeOutput(a.filterShape, 'float32', undefined, dW);
};

/** Visits every (input position, filter tap, output position) triple of a depthwise convolution. */
function forEachDepthwiseTap(
  info: tf.backend_util.Conv2DInfo,
  visit: (xOffset: number, wOffset: number, dyOffset: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const dyOffset = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = yR * strideHeight + wR * dilationHeight - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC * dilationWidth - left;
            if (xC < 0 || xC >= inWidth) continue;
            visit(
              ((b * inHeight + xR) * inWidth + xC) * inChannels,
              (wR * filterWidth + wC) * outChannels,
              dyOffset,
            );
          }
        }
      }
    }
  }
}

/** Geometry of a depthwise convolution from a gradient kernel's attributes. */
function depthwiseInfo(kernel: string, attrs: ConvAttrs, inputShape: Shape4, filterShape: Shape4) {
  assertChannelsLast(kernel, attrs);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  return { info, multiplier: info.outChannels / info.inChannels };
}

const depthwiseBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  const { info, multiplier } = depthwiseInfo(
    'DepthwiseConv2dNativeBackpropFilter',
    a,
    x.shape as Shape4,
    a.filterShape,
  );
  const xs = read(wasm, x);
  const dys = read(wasm, dy);
  const dW = new Float32Array(tf.util.sizeFromShape(a.filterShape));
  forEachDepthwiseTap(info, (xOffset, wOffset, dyOffset) => {
    for (let d1 = 0; d1 < info.inChannels; d1++) {
      const xv = xs[xOffset + d1]!;
      for (let q = 0; q < multiplier; q++) {
        const d2 = d1 * multiplier + q;
        dW[wOffset + d2]! += xv * dys[dyOffset + d2]!;
      }
    }
  });
  return wasm.makeOutput(a.filterShape, 'float32', undefined, dW);
};

const depthwiseBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  const { info, multiplier } = depthwiseInfo(
    'DepthwiseConv2dNativeBackpropInput',
    a,
    a.inputShape,
    filter.shape as Shape4,
  );
  const dys = read(wasm, dy);
  const ws = read(wasm, filter);
  const dx = new Float32Array(tf.util.sizeFromShape(a.inputShape));
  forEachDepthwiseTap(info, (xOffset, wOffset, dyOffset) => {
    for (let d1 = 0; d1 < info.inChannels; d1++) {
      let sum = 0;
      for (let q = 0; q < multiplier; q++) {
        const d2 = d1 * multiplier + q;
        sum += dys[dyOffset + d2]! * ws[wOffset + d2]!;
      }
      dx[xOffset + d1]! += sum;
    }
  });
  return wasm.makeOutput(a.inputShape, 'float32', undefined, dx);
};

const kernels: Array<[string, tf.KernelFunc]> = [
  ['Conv2DBackpropFilter', conv2DBackpropFilter],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput],
];

/** Registers the missing training kernels for the wasm backend; idempotent. */
export function registerWasmTrainingKernels(): void {
  for (const [kernelName, kernelFunc] of kernels) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

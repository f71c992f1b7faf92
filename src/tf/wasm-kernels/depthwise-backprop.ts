/**
 * Gradients of a depthwise convolution, which wasm 4.x does not ship: loops over the operands in the wasm heap,
 * one pass over every (input position, filter tap, output position) of the convolution.
 */
import * as tf from '@tensorflow/tfjs';
import {
  allocate,
  assertChannelsLast,
  heapView,
  type ConvAttrs,
  type Shape4,
  type WasmKernel,
} from './wasm-memory.js';

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

export const depthwiseBackpropFilter: WasmKernel = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  const { info, multiplier } = depthwiseInfo(
    'DepthwiseConv2dNativeBackpropFilter',
    a,
    x.shape as Shape4,
    a.filterShape,
  );
  const out = allocate(backend, a.filterShape);
  const xs = heapView(backend, x);
  const dys = heapView(backend, dy);
  const dW = heapView(backend, out).fill(0);
  forEachDepthwiseTap(info, (xOffset, wOffset, dyOffset) => {
    for (let d1 = 0; d1 < info.inChannels; d1++) {
      const xv = xs[xOffset + d1]!;
      for (let q = 0; q < multiplier; q++) {
        const d2 = d1 * multiplier + q;
        dW[wOffset + d2]! += xv * dys[dyOffset + d2]!;
      }
    }
  });
  return out;
};

export const depthwiseBackpropInput: WasmKernel = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  const { info, multiplier } = depthwiseInfo(
    'DepthwiseConv2dNativeBackpropInput',
    a,
    a.inputShape,
    filter.shape as Shape4,
  );
  const out = allocate(backend, a.inputShape);
  const dys = heapView(backend, dy);
  const ws = heapView(backend, filter);
  const dx = heapView(backend, out).fill(0);
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
  return out;
};

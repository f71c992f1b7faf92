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
  type KernelArgs,
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

/** What a gradient kernel states about itself: which operand it differentiates, and from what. */
interface GradientSpec {
  kernel: string;
  of: 'input' | 'filter';
  inputShape: Shape4;
  filterShape: Shape4;
  /** The two tensors the gradient is computed from; their heap views come back in this order. */
  operands: [tf.TensorInfo, tf.TensorInfo];
}

/** A depthwise gradient's geometry, its output (cleared, to accumulate into) and views of its operands. */
function depthwiseGradient({ backend, attrs }: KernelArgs, spec: GradientSpec) {
  const a = attrs as unknown as ConvAttrs;
  assertChannelsLast(spec.kernel, a);
  const info = tf.backend_util.computeConv2DInfo(
    spec.inputShape,
    spec.filterShape,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  const out = allocate(backend, spec.of === 'input' ? spec.inputShape : spec.filterShape);
  // Views only after the allocation, which may grow the heap and detach them.
  const [first, second] = spec.operands;
  return {
    info,
    multiplier: info.outChannels / info.inChannels,
    out,
    operands: [heapView(backend, first), heapView(backend, second)] as const,
    grad: heapView(backend, out).fill(0),
  };
}

export const depthwiseBackpropFilter: WasmKernel = (args) => {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape } = args.attrs as unknown as { filterShape: Shape4 };
  const {
    info,
    multiplier,
    out,
    operands: [xs, dys],
    grad: dW,
  } = depthwiseGradient(args, {
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    of: 'filter',
    inputShape: x.shape as Shape4,
    filterShape,
    operands: [x, dy],
  });
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

export const depthwiseBackpropInput: WasmKernel = (args) => {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape } = args.attrs as unknown as { inputShape: Shape4 };
  const {
    info,
    multiplier,
    out,
    operands: [dys, ws],
    grad: dx,
  } = depthwiseGradient(args, {
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    of: 'input',
    inputShape,
    filterShape: filter.shape as Shape4,
    operands: [dy, filter],
  });
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

/**
 * Gradients of a 2-D convolution on the wasm backend's fast paths. The filter gradient (which wasm 4.x does not
 * ship) is one matrix product, im2col(x)ᵀ · dy, through XNNPACK, either as such or as a convolution of x by dy.
 * The input gradient replaces the shipped scalar loop with a convolution of dy (spread out by the stride) with
 * the flipped filter, through XNNPACK's Conv2D.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  allocate,
  assertChannelsLast,
  heapView,
  matMul,
  release,
  runKernel,
  withShape,
  type ConvAttrs,
  type Shape4,
  type WasmKernel,
} from './wasm-memory.js';

/**
 * Writes im2col(x) transposed: one row per filter tap and input channel, one column per output position, 0 where
 * the tap falls in the padding. `cols` holds filterHeight·filterWidth·inChannels rows of batch·outH·outW values.
 */
function writeColumnsTransposed(info: tf.backend_util.Conv2DInfo, x: Float32Array, cols: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  let at = 0;
  for (let wR = 0; wR < filterHeight; wR++) {
    for (let wC = 0; wC < filterWidth; wC++) {
      for (let d = 0; d < inChannels; d++) {
        for (let b = 0; b < batchSize; b++) {
          for (let yR = 0; yR < outHeight; yR++) {
            const xR = yR * strideHeight + wR - top;
            if (xR < 0 || xR >= inHeight) {
              cols.fill(0, at, at + outWidth);
              at += outWidth;
              continue;
            }
            const rowStart = (b * inHeight + xR) * inWidth;
            for (let yC = 0; yC < outWidth; yC++) {
              const xC = yC * strideWidth + wC - left;
              cols[at++] = xC >= 0 && xC < inWidth ? x[(rowStart + xC) * inChannels + d]! : 0;
            }
          }
        }
      }
    }
  }
}

/** dW = im2col(x)ᵀ · dy: [taps, positions] · [positions, outChannels] is the filter's [h, w, in, out] already. */
function filterGradientByColumns(
  backend: BackendWasm,
  info: tf.backend_util.Conv2DInfo,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
) {
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const cols = allocate(backend, [info.filterHeight * info.filterWidth * info.inChannels, positions]);
  writeColumnsTransposed(info, heapView(backend, x), heapView(backend, cols));
  const dW = matMul(backend, cols, withShape(dy, [positions, info.outChannels]));
  release(backend, cols);
  return dW;
}

/**
 * dW as a convolution, which leaves the gathering of windows to XNNPACK: x with its batch and channel axes
 * swapped, filtered by dy with its batch as input channels (dilated by the stride), gives dW with its first two
 * axes moved. Null where the strides leave input rows or columns unread, which no padding can express.
 */
function filterGradientByConvolution(
  backend: BackendWasm,
  info: tf.backend_util.Conv2DInfo,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
): tf.TensorInfo | null {
  const { top, left } = info.padInfo;
  const bottom = info.filterHeight - info.inHeight - top + (info.outHeight - 1) * info.strideHeight;
  const right = info.filterWidth - info.inWidth - left + (info.outWidth - 1) * info.strideWidth;
  if (bottom < 0 || right < 0) return null;
  const xT = runKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
  const dyT = runKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const pad = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  const dilations = [info.strideHeight, info.strideWidth];
  const dWT = runKernel(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    { strides: 1, dilations, pad, dataFormat: 'NHWC' },
  );
  const dW = runKernel('Transpose', backend, { x: dWT }, { perm: [1, 2, 0, 3] });
  release(backend, xT, dyT, dWT);
  return dW;
}

export const conv2DBackpropFilter: WasmKernel = ({ inputs, backend, attrs }) => {
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
  // Both forms multiply the same matrices; they differ in what they copy first. The columns hold every input
  // value once per filter tap (written in JS), the convolution form transposes x and dy once each (natively).
  const columns = tf.util.sizeFromShape(a.filterShape) / info.outChannels;
  const copied = tf.util.sizeFromShape(x.shape) + tf.util.sizeFromShape(dy.shape);
  const byConvolution = columns * info.batchSize * info.outHeight * info.outWidth > copied;
  const dW =
    (byConvolution && filterGradientByConvolution(backend, info, x, dy)) ||
    filterGradientByColumns(backend, info, x, dy);
  return withShape(dW, a.filterShape);
};

/** The filter rotated by 180° with its channel axes swapped: [h, w, in, out] to [h, w, out, in]. */
function flippedFilter(backend: BackendWasm, filter: tf.TensorInfo): tf.TensorInfo {
  const [h, w, inC, outC] = filter.shape as Shape4;
  const flipped = allocate(backend, [h, w, outC, inC]);
  const src = heapView(backend, filter);
  const dst = heapView(backend, flipped);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const from = ((h - 1 - r) * w + (w - 1 - c)) * inC * outC;
      const to = (r * w + c) * outC * inC;
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < outC; o++) dst[to + o * inC + i] = src[from + i * outC + o]!;
      }
    }
  }
  return flipped;
}

/** dy with stride-1 zeros between its rows and columns, so that a stride-1 convolution can undo a strided one. */
function spreadOut(backend: BackendWasm, dy: tf.TensorInfo, strideH: number, strideW: number): tf.TensorInfo {
  const [batch, outH, outW, channels] = dy.shape as Shape4;
  const height = (outH - 1) * strideH + 1;
  const width = (outW - 1) * strideW + 1;
  const spread = allocate(backend, [batch, height, width, channels]);
  const src = heapView(backend, dy);
  const dst = heapView(backend, spread).fill(0);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      for (let c = 0; c < outW; c++) {
        const from = ((b * outH + r) * outW + c) * channels;
        dst.set(
          src.subarray(from, from + channels),
          ((b * height + r * strideH) * width + c * strideW) * channels,
        );
      }
    }
  }
  return spread;
}

/** Wraps the shipped Conv2DBackpropInput, kept for what the convolution form cannot take (NCHW, wide padding). */
export function conv2DBackpropInput(shipped: tf.KernelFunc): WasmKernel {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
    if (a.dataFormat === 'NCHW') return shipped(args);
    const info = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as Shape4,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const { filterHeight, filterWidth, strideHeight, strideWidth, inHeight, inWidth } = info;
    const spreadH = (info.outHeight - 1) * strideHeight + 1;
    const spreadW = (info.outWidth - 1) * strideWidth + 1;
    // Padding of the spread-out dy that makes a stride-1 'valid' convolution come out at the input's size.
    const top = filterHeight - 1 - info.padInfo.top;
    const left = filterWidth - 1 - info.padInfo.left;
    const bottom = inHeight - spreadH + info.padInfo.top;
    const right = inWidth - spreadW + info.padInfo.left;
    if (Math.min(top, left, bottom, right) < 0) return shipped(args);
    const strided = strideHeight > 1 || strideWidth > 1;
    const spread = strided ? spreadOut(backend, dy, strideHeight, strideWidth) : dy;
    const flipped = flippedFilter(backend, filter);
    const dx = runKernel(
      'Conv2D',
      backend,
      { x: spread, filter: flipped },
      {
        strides: 1,
        dilations: 1,
        dataFormat: 'NHWC',
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
      },
    );
    release(backend, flipped);
    if (strided) release(backend, spread);
    return dx;
  };
}

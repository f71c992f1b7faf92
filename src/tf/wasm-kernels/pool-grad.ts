/**
 * Gradients of 2-D max and average pooling. The wasm backend ships both, but as loops that visit every input
 * position for every window around it; these visit each window once, reading and writing the heap in place. They
 * follow the cpu backend exactly: a max pool's gradient goes to the first largest value of its window, and an
 * average pool's is dy divided by the window's full size.
 */
import * as tf from '@tensorflow/tfjs';
import {
  allocate,
  heapView,
  type KernelArgs,
  type Pad,
  type Rounding,
  type Shape4,
  type WasmKernel,
} from './wasm-memory.js';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: Rounding;
}

/** A pooling gradient's geometry, its dx (cleared) and views of dy, x and dx in the heap. */
function poolGradient({ inputs, backend, attrs }: KernelArgs) {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = attrs as unknown as PoolAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Shape4,
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const dx = allocate(backend, input.shape);
  const xs = heapView(backend, input);
  const dys = heapView(backend, dy);
  return { info, dx, xs, dys, dxs: heapView(backend, dx).fill(0) };
}

/** The input rows (or columns) [from, to) under window `i` of a pooling along one axis. */
function span(i: number, stride: number, pad: number, size: number, extent: number): [number, number] {
  const start = i * stride - pad;
  return [Math.max(start, 0), Math.min(start + size, extent)];
}

interface Views {
  xs: Float32Array;
  dys: Float32Array;
  dxs: Float32Array;
}

/** Adds dy at `yOffset` to the first largest x of the window at `xOffsets`, channel by channel. */
function routeWindow({ xs, dys, dxs }: Views, yOffset: number, channels: number, xOffsets: number[]): void {
  for (let d = 0; d < channels; d++) {
    let best = Number.NEGATIVE_INFINITY;
    let at = -1;
    for (const offset of xOffsets) {
      if (xs[offset + d]! > best) {
        best = xs[offset + d]!;
        at = offset + d;
      }
    }
    if (at >= 0) dxs[at]! += dys[yOffset + d]!;
  }
}

/**
 * {@link routeWindow} for a whole 2×2 window (the usual pool), unrolled: several times faster in V8. `top` and
 * `below` are the offsets of the window's two rows.
 */
function routeQuad({ xs, dys, dxs }: Views, yOffset: number, channels: number, top: number, below: number) {
  const right = top + channels;
  const belowRight = below + channels;
  for (let d = 0; d < channels; d++) {
    let best = Number.NEGATIVE_INFINITY;
    let at = -1;
    if (xs[top + d]! > best) {
      best = xs[top + d]!;
      at = top + d;
    }
    if (xs[right + d]! > best) {
      best = xs[right + d]!;
      at = right + d;
    }
    if (xs[below + d]! > best) {
      best = xs[below + d]!;
      at = below + d;
    }
    if (xs[belowRight + d]! > best) at = belowRight + d;
    if (at >= 0) dxs[at]! += dys[yOffset + d]!;
  }
}

export const maxPoolGrad: WasmKernel = (args) => {
  const { info, dx, ...views } = poolGradient(args);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const offsetOf = (b: number, r: number, c: number) => ((b * inHeight + r) * inWidth + c) * channels;
  let yOffset = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const [r0, r1] = span(yR, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let yC = 0; yC < outWidth; yC++, yOffset += channels) {
        const [c0, c1] = span(yC, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        if (r1 - r0 === 2 && c1 - c0 === 2) {
          routeQuad(views, yOffset, channels, offsetOf(b, r0, c0), offsetOf(b, r0 + 1, c0));
          continue;
        }
        // Row-major order, so that the first largest value is the one the cpu backend picks.
        const xOffsets: number[] = [];
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) xOffsets.push(offsetOf(b, r, c));
        routeWindow(views, yOffset, channels, xOffsets);
      }
    }
  }
  return dx;
};

export const avgPoolGrad: WasmKernel = (args) => {
  const { info, dx, dys, dxs } = poolGradient(args);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  let yOffset = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const [r0, r1] = span(yR, info.strideHeight, info.padInfo.top, info.filterHeight, inHeight);
      for (let yC = 0; yC < outWidth; yC++, yOffset += channels) {
        const [c0, c1] = span(yC, info.strideWidth, info.padInfo.left, info.filterWidth, inWidth);
        for (let r = r0; r < r1; r++) {
          for (let c = c0; c < c1; c++) {
            const xOffset = ((b * inHeight + r) * inWidth + c) * channels;
            for (let d = 0; d < channels; d++) dxs[xOffset + d]! += dys[yOffset + d]!;
          }
        }
      }
    }
  }
  // The cpu backend divides by the whole window, padding included, whatever the forward pass counted.
  const scale = 1 / (info.filterHeight * info.filterWidth);
  for (let i = 0; i < dxs.length; i++) dxs[i]! *= scale;
  return dx;
};

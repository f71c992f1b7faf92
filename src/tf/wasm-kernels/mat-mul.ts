/**
 * The wasm backend multiplies matrices with XNNPACK only when neither operand is transposed; otherwise it runs a
 * scalar loop several times slower. Dense layers' gradients are exactly such products (xᵀ·dy, dy·wᵀ), so these
 * wrappers transpose the operand first with the backend's Transpose and multiply on the fast path.
 */
import * as tf from '@tensorflow/tfjs';
import { release, runKernel, type KernelArgs, type WasmKernel } from './wasm-memory.js';

const batchOf = (info: tf.TensorInfo) => tf.util.sizeFromShape(info.shape.slice(0, -2));

function transposed(args: KernelArgs, info: tf.TensorInfo): tf.TensorInfo {
  const perm = info.shape.map((_, i) => i);
  const last = perm.length - 1;
  [perm[last - 1], perm[last]] = [last, last - 1];
  return runKernel('Transpose', args.backend, { x: info }, { perm });
}

/** Wraps the shipped BatchMatMul or _FusedMatMul so that it always gets untransposed operands. */
export function withoutTransposes(shipped: tf.KernelFunc): WasmKernel {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    // XNNPACK's path takes a single matrix on each side; batches of them stay on the shipped loop.
    if ((!transposeA && !transposeB) || batchOf(a) !== 1 || batchOf(b) !== 1) {
      return shipped(args);
    }
    const made: tf.TensorInfo[] = [];
    const plain = (info: tf.TensorInfo, transpose: boolean) => {
      if (!transpose) return info;
      const t = transposed(args, info);
      made.push(t);
      return t;
    };
    try {
      return shipped({
        ...args,
        inputs: { ...args.inputs, a: plain(a, transposeA), b: plain(b, transposeB) },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      release(args.backend, ...made);
    }
  };
}

/**
 * Identity without a copy. TF.js clones every tensor it saves for the backward pass (an Identity kernel each,
 * some thirty a step of a small dense head); the shipped wasm kernel copies the data into new heap memory, where the
 * cpu and webgl backends share it, counted once more, as wasm's own Reshape does. Tensors are immutable, and no
 * kernel writes into its inputs, so sharing is safe; strings keep the shipped kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WasmKernel } from './wasm-memory.js';

export function sharedIdentity(shipped: tf.KernelFunc): WasmKernel {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return shipped(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

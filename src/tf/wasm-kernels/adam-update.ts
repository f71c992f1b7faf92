/**
 * One Adam step of one variable in a single pass over the wasm heap, where TF.js's own Adam takes about fifteen
 * element-wise kernels a variable (each a dispatch and an allocation): the same arithmetic as
 * `tf.train.adam`, element by element.
 */
import * as tf from '@tensorflow/tfjs';
import { allocate, heapView, type KernelArgs } from './wasm-memory.js';

export const ADAM_UPDATE = 'FinetunedAdamUpdate';

/** The attributes of {@link ADAM_UPDATE}: the optimizer's settings. */
export interface AdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

interface AdamInputs {
  value: tf.TensorInfo;
  m: tf.TensorInfo;
  v: tf.TensorInfo;
  gradient: tf.TensorInfo;
  accBeta1: tf.TensorInfo;
  accBeta2: tf.TensorInfo;
}

/**
 * Inputs: the variable's `value`, its moments `m` and `v`, its `gradient`, and the optimizer's `accBeta1` and
 * `accBeta2` (β₁ᵗ and β₂ᵗ, scalars). Outputs the new value, m and v, in new tensors: the old ones may still be read
 * (a checkpoint being written, say).
 */
export function adamUpdate({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { value, m, v, gradient, accBeta1, accBeta2 } = inputs as unknown as AdamInputs;
  const { learningRate, beta1, beta2, epsilon } = attrs as unknown as AdamAttrs;
  const outputs = [value, m, v].map((info) => allocate(backend, info.shape));
  // Views only after the allocations, which may grow the heap and detach them.
  const view = (info: tf.TensorInfo) => heapView(backend, info);
  const [w, ms, vs, g] = [view(value), view(m), view(v), view(gradient)];
  const [newW, newM, newV] = [view(outputs[0]!), view(outputs[1]!), view(outputs[2]!)];
  const correction1 = 1 - view(accBeta1)[0]!;
  const correction2 = 1 - view(accBeta2)[0]!;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = ms[i]! * beta1 + gi * (1 - beta1);
    const vi = vs[i]! * beta2 + gi * gi * (1 - beta2);
    newM[i] = mi;
    newV[i] = vi;
    newW[i] = w[i]! - (learningRate * (mi / correction1)) / (Math.sqrt(vi / correction2) + epsilon);
  }
  return outputs;
}

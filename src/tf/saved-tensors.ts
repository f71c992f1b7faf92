import * as tf from '@tensorflow/tfjs';

/** The parts of TF.js's engine that keep tensors for the backward pass. */
interface EngineInternals {
  /** The clone the engine keeps of each tensor a gradient will need (of a kernel, or of a custom gradient). */
  clone?: (this: EngineInternals, x: tf.Tensor) => tf.Tensor;
  nextTensorId(): number;
  incRef(tensor: tf.Tensor, backend: unknown): void;
  addTapeNode(
    scopeName: string,
    inputs: { x: tf.Tensor },
    outputs: tf.Tensor[],
    gradient: (dy: tf.Tensor) => { x: () => tf.Tensor },
    saved: tf.Tensor[],
    attrs: object,
  ): void;
  backend: unknown;
  state: { activeScope: { name: string }; tensorInfo: Map<object, { backend: unknown }> };
}

type TensorConstructor = new (shape: number[], dtype: tf.DataType, dataId: object, id: number) => tf.Tensor;

const engine = tf.engine() as unknown as EngineInternals;
const cloning = engine.clone;

/**
 * The tensor TF.js's clone makes, without dispatching its Identity kernel: a new tensor on the same data (one more
 * reference to it, as a variable takes), on the tape as a clone is, so that gradients of gradients still flow.
 * Data on another backend than the one running (after a switch) is cloned as TF.js clones it.
 */
function sharing(this: EngineInternals, x: tf.Tensor): tf.Tensor {
  if (engine.state.tensorInfo.get(x.dataId)?.backend !== engine.backend) return cloning!.call(this, x);
  const y = new (tf.Tensor as unknown as TensorConstructor)(
    x.shape,
    x.dtype,
    x.dataId,
    engine.nextTensorId(),
  );
  engine.incRef(y, engine.backend);
  const gradient = (dy: tf.Tensor) => ({
    x: () => tf.engine().runKernel<tf.Tensor>(tf.Cast, { x: dy }, { dtype: 'float32' }),
  });
  engine.addTapeNode(engine.state.activeScope.name, { x }, [y], gradient, [], {});
  return y;
}

/**
 * TF.js keeps each tensor a gradient will need as a clone, one Identity kernel dispatched per tensor (29 a training
 * step of a small CNN, about a quarter of its kernels). The cpu, webgl and tfjs-node Identity kernels share the
 * source's data (and wasm's does with src/tf/wasm-kernels/identity.ts), so this makes the same tensor without the
 * kernel; the gradients are the same to the bit. On by default from backend selection; `false` puts TF.js's own
 * cloning back. A TF.js whose engine keeps no such clone is left as it is.
 */
export function shareSavedTensors(enabled = true): void {
  if (typeof cloning !== 'function') return;
  engine.clone = enabled ? sharing : cloning;
}

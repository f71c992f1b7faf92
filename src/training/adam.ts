/**
 * The training's Adam optimizer: TF.js's own, with its step fused into one kernel a variable where the backend
 * has one (wasm, src/tf/wasm-kernels/adam-update.ts). The state (moments, β powers, iterations) is TF.js's, kept
 * where TF.js keeps it, so checkpoints read and write it as they do TF.js's Adam; elsewhere it is TF.js's Adam.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, type AdamAttrs } from '../tf/wasm-kernels/adam-update.js';

/** A moment estimate as AdamOptimizer keeps it. */
interface Moment {
  originalName: string;
  variable: tf.Variable;
}

/** AdamOptimizer's state: private in its typings, read here under the names @tensorflow/tfjs-core 4.x gives it. */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<Moment | undefined>;
  accumulatedSecondMoment: Array<Moment | undefined>;
}

class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(gradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) return super.applyGradients(gradients);
    const state = this as unknown as AdamState;
    const named = Array.isArray(gradients)
      ? gradients
      : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
    const attrs: AdamAttrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
    tf.tidy(() => {
      named.forEach(({ name, tensor: gradient }, i) => {
        const value = tf.engine().registeredVariables[name]!;
        const m = (state.accumulatedFirstMoment[i] ??= zeroMoment(`${name}/m`, value)).variable;
        const v = (state.accumulatedSecondMoment[i] ??= zeroMoment(`${name}/v`, value)).variable;
        // As TF.js's Adam: a variable without a gradient keeps its value (and gets its moments all the same).
        if (gradient == null) return;
        const inputs = { value, m, v, gradient, accBeta1: state.accBeta1, accBeta2: state.accBeta2 };
        const [newValue, newM, newV] = tf
          .engine()
          .runKernel<tf.Tensor[]>(ADAM_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap);
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

const zeroMoment = (originalName: string, value: tf.Variable): Moment => ({
  originalName,
  variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
});

/** Adam as `tf.train.adam` makes it, its step fused where the backend can. */
export function adam(learningRate: number, beta1: number, beta2: number, epsilon: number): tf.AdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}

import * as tf from '@tensorflow/tfjs';

/**
 * Categorical cross-entropy of a softmax's probabilities, one value a row, as TF.js's `categoricalCrossentropy`
 * gives it: the probabilities clipped to [ε, 1 − ε] (ε the backend's, as TF.js's layers take it), no gradient
 * where the clip holds them. It leaves out the renormalization TF.js divides by, which only a softmax's rows make
 * safe to leave out (every classification model here ends in one, see tasks.ts): they sum to one within a few
 * units of float32's last place, so the loss moves in its sixth or seventh digit. The gradient is written out,
 * −yTrue / p, in a few kernels: with the softmax before it, a step's loss and gradient take 25 kernels, not 45.
 */
export function categoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [p, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const epsilon = tf.backend().epsilon();
    const clipped = tf.clipByValue(p, epsilon, 1 - epsilon);
    const unclipped = tf.cast(tf.equal(clipped, p), 'float32');
    save([yTrue, clipped, unclipped]);
    return {
      value: tf.neg(tf.sum(tf.mul(yTrue, tf.log(clipped)), -1)),
      gradFunc: (dy: tf.Tensor, [y, q, open]: tf.Tensor[]) =>
        tf.mul(tf.div(tf.mul(y!, open!), q!), tf.neg(tf.expandDims(dy, -1))),
    };
  });
  return loss(yPred);
}

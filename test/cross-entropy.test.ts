import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectBackend } from '../src/tf/backend.js';
import { categoricalCrossentropy } from '../src/training/cross-entropy.js';

type Loss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
const theirs: Loss = (yTrue, yPred) => tf.metrics.categoricalCrossentropy(yTrue, yPred);

/** The mean loss over softmax(logits) and its gradient with respect to the logits, as arrays; and the kernels. */
async function lossAndGradient(loss: Loss, logits: number[][], labels: number[]) {
  const z = tf.tidy(() => tf.variable(tf.tensor2d(logits)));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), logits[0]!.length));
  const run = () => tf.variableGrads(() => tf.mean<tf.Scalar>(loss(y, tf.softmax(z))), [z]);
  const { value, grads } = run();
  const result = { loss: value.dataSync()[0]!, gradient: Array.from(grads[z.name]!.dataSync()) };
  tf.dispose([value, grads[z.name]!]);
  const profile = await tf.profile(() => {
    const again = run();
    tf.dispose([again.value, again.grads[z.name]!]);
  });
  tf.dispose([z, y]);
  return { ...result, kernels: profile.kernels.length };
}

const close = (a: number[], b: number[], tolerance: number) =>
  a.every((v, i) => Math.abs(v - b[i]!) <= tolerance * Math.max(1, Math.abs(b[i]!)));

/** Ours and TF.js's on the same rows; fails unless the losses and gradients agree. */
async function compared(logits: number[][], labels: number[]) {
  const ours = await lossAndGradient(categoricalCrossentropy, logits, labels);
  const tfjs = await lossAndGradient(theirs, logits, labels);
  assert.ok(Math.abs(ours.loss - tfjs.loss) <= 1e-6 * tfjs.loss, `${ours.loss} vs ${tfjs.loss}`);
  const gradients = `${ours.gradient.join()} vs ${tfjs.gradient.join()}`;
  assert.ok(close(ours.gradient, tfjs.gradient, 1e-5), gradients);
  return { ours, tfjs };
}

describe('categorical cross-entropy', () => {
  before(async () => {
    await selectBackend('auto');
  });

  it("gives TF.js's loss and gradient in fewer kernels", async () => {
    const logits = [
      [0.5, -1.2, 2.0, 0.1],
      [3.1, 0.2, -0.7, 1.5],
      [-2.0, -2.5, 0.0, 4.0],
    ];
    const labels = [2, 1, 0];
    const { ours, tfjs } = await compared(logits, labels);
    assert.ok(ours.kernels < tfjs.kernels - 10, `${ours.kernels} kernels vs ${tfjs.kernels}`);
  });

  it('has no gradient where the probabilities are clipped, as TF.js has none', async () => {
    // The true class's probability: about 5e-8 in the first row, under the clip but not so small that the
    // softmax's gradient would hide a difference; in the second row the softmax rounds another class to 1.
    const logits = [
      [0, 16.8, -5],
      [80, 0, 1],
    ];
    const labels = [0, 1];
    const { ours } = await compared(logits, labels);
    assert.ok(ours.gradient.every(Number.isFinite));
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    await lossAndGradient(categoricalCrossentropy, [[1, 2, 3]], [2]);
    assert.equal(tf.memory().numTensors, before);
  });
});

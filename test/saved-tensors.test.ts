import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { selectBackend } from '../src/tf/backend.js';
import { shareSavedTensors } from '../src/tf/saved-tensors.js';

/** The kernels dispatched by `run`, by name. */
async function kernelsOf(run: () => void): Promise<Map<string, number>> {
  const profile = await tf.profile(run);
  const counts = new Map<string, number>();
  for (const k of profile.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  return counts;
}

/** The Identity kernels a gradient dispatches with TF.js's cloning and with shared tensors. */
async function identitiesOf(gradOf: () => tf.Tensor) {
  const identities = async () => (await kernelsOf(() => void gradOf().dispose())).get('Identity') ?? 0;
  shareSavedTensors(false);
  const cloned = await identities();
  shareSavedTensors(true);
  return { cloned, shared: await identities() };
}

/** Three Adam steps of a small CNN on one batch: its weights afterwards, as arrays. */
async function trainedWeights(): Promise<number[][]> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 3,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([4, 6, 6, 1], 0, 1, 'float32', 3);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3));
  for (let step = 0; step < 3; step++) await model.trainOnBatch(x, y);
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return weights;
}

describe('tensors kept for gradients', () => {
  before(async () => {
    await selectBackend('auto');
  });
  after(() => shareSavedTensors());

  it('are kept without a kernel, and the gradient is the same', async () => {
    const a = tf.variable(tf.tensor1d([1, 2, 3]));
    const b = tf.variable(tf.tensor1d([4, -5, 6]));
    const gradOf = () => tf.variableGrads(() => tf.sum(tf.mul(a, b)), [a]).grads[a.name]!;
    const { cloned, shared } = await identitiesOf(gradOf);
    // Multiply keeps both of its inputs for its gradient: TF.js clones them (and the variable read).
    assert.ok(cloned >= 2);
    assert.equal(shared, 0);
    const grad = gradOf();
    assert.deepEqual(Array.from(grad.dataSync()), [4, -5, 6]);
    tf.dispose([grad, a, b]);
  });

  it('are kept without a kernel for a custom gradient too', async () => {
    const x = tf.variable(tf.tensor1d([1, 2, 3]));
    const square = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
      save([t]);
      return {
        value: tf.square(t),
        gradFunc: (dy: tf.Tensor, [kept]: tf.Tensor[]) => tf.mul(dy, tf.mul(kept!, 2)),
      };
    });
    const gradOf = () => tf.variableGrads(() => tf.sum<tf.Scalar>(square(x)), [x]).grads[x.name]!;
    const { cloned, shared } = await identitiesOf(gradOf);
    assert.ok(cloned >= 1);
    assert.equal(shared, 0);
    const grad = gradOf();
    assert.deepEqual(Array.from(grad.dataSync()), [2, 4, 6]);
    tf.dispose([grad, x]);
  });

  it('train a model to the same weights as clones do', async () => {
    shareSavedTensors(false);
    const cloned = await trainedWeights();
    shareSavedTensors(true);
    const before = tf.memory();
    const shared = await trainedWeights();
    assert.deepEqual(shared, cloned);
    const now = tf.memory();
    assert.equal(now.numTensors, before.numTensors);
    assert.equal(now.numDataBuffers, before.numDataBuffers);
  });

  it('train to the same weights on the cpu backend too, whose Identity is its own', async () => {
    const selected = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      shareSavedTensors(false);
      const cloned = await trainedWeights();
      shareSavedTensors(true);
      const { cloned: identities, shared } = await identitiesOf(() => {
        const v = tf.variable(tf.tensor1d([1, 2]));
        const grad = tf.variableGrads(() => tf.sum(tf.mul(v, v)), [v]).grads[v.name]!;
        v.dispose();
        return grad;
      });
      assert.ok(identities >= 2);
      assert.equal(shared, 0);
      assert.deepEqual(await trainedWeights(), cloned);
    } finally {
      await tf.setBackend(selected);
    }
  });

  it('hold the value a variable had when it was used, and free it after as clones are freed', () => {
    /** The gradient of sum(v²) where v changes after use, and the data buffers and tensors it leaves. */
    const run = () => {
      const v = tf.variable(tf.tensor1d([1, 2, 3]));
      const before = tf.memory();
      const { value, grads } = tf.variableGrads(() => {
        const y = tf.sum<tf.Scalar>(tf.square(v));
        v.assign(tf.tensor1d([10, 20, 30]));
        return y;
      }, [v]);
      const grad = Array.from(grads[v.name]!.dataSync());
      tf.dispose([value, grads[v.name]!]);
      const now = tf.memory();
      v.dispose();
      return {
        grad,
        buffers: now.numDataBuffers - before.numDataBuffers,
        tensors: now.numTensors - before.numTensors,
      };
    };
    shareSavedTensors(false);
    const cloned = run();
    shareSavedTensors(true);
    const shared = run();
    assert.deepEqual(shared.grad, [2, 4, 6]);
    assert.deepEqual(shared, cloned);
    assert.equal(shared.tensors, 0);
  });

  it('still give gradients of gradients', () => {
    const cube = (x: tf.Tensor) => tf.mul(tf.mul(x, x), x);
    const second = tf.grad(tf.grad(cube));
    const x = tf.scalar(2);
    const result = second(x);
    assert.equal(result.dataSync()[0], 12);
    tf.dispose([x, result]);
  });
});

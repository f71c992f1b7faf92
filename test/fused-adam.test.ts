import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import seedrandom from 'seedrandom';
import { selectBackend } from '../src/tf/backend.js';
import { ADAM_UPDATE } from '../src/tf/wasm-kernels/adam-update.js';
import { adam } from '../src/training/adam.js';

const SETTINGS = [0.01, 0.9, 0.999, 1e-7] as const;
const STEPS = 3;

const values = (size: number, seed: string) => {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: size }, () => rng() * 2 - 1);
};

/** A small convolutional classifier, its weights drawn from `seed`. */
function classifier(seed: string): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 8, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  tf.tidy(() =>
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(values(w.size, `${seed} ${i}`), w.shape))),
  );
  return model;
}

/** The model's weights and the optimizer's state after STEPS steps on one batch, as plain arrays. */
async function trained(optimizer: tf.Optimizer) {
  const model = classifier('weights');
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const x = tf.tensor(values(5 * 36, 'x'), [5, 6, 6, 1]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
  for (let step = 0; step < STEPS; step++) await model.trainOnBatch(x, y);
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const state = await optimizer.getWeights();
  const result = {
    weights,
    state: state.map(({ name, tensor }) => ({ name, values: tensor.dataSync() as Float32Array })),
  };
  state[0]?.tensor.dispose();
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return result;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= 1e-6, `${what}: the fused step differs by ${worst}`);
}

describe('the fused Adam step', () => {
  before(async () => {
    assert.equal((await selectBackend('wasm')).name, 'wasm');
  });

  it("moves weights and moments as TF.js's Adam does, in one kernel a variable", async () => {
    const start = classifier('weights')
      .getWeights()
      .map((w) => w.dataSync() as Float32Array);
    const ours = await trained(adam(...SETTINGS));
    const theirs = await trained(tf.train.adam(...SETTINGS));
    ours.weights.forEach((w, i) => {
      assertClose(w, theirs.weights[i]!, `weight ${i}`);
      // Each step moved every weight by up to the learning rate: the comparison is of real steps.
      assert.ok(
        w.some((value, j) => Math.abs(value - start[i]![j]!) > 1e-3),
        `weight ${i} moved`,
      );
    });
    // The same state under the same names, so a checkpoint reads and writes it as TF.js's.
    // (Layer names count the models made in this process: theirs were made later.)
    const names = (state: typeof ours.state) => state.map((s) => s.name.replace(/\d+\//g, '/'));
    assert.deepEqual(names(ours.state), names(theirs.state));
    ours.state.forEach((s, i) => assertClose(s.values, theirs.state[i]!.values, s.name));
  });

  it('takes one kernel a variable where TF.js takes about fifteen, and keeps no tensor of its own', async () => {
    /** The kernels of a step, and how many tensors outlive the model and the optimizer. */
    const stepWith = async (optimizer: tf.Optimizer) => {
      const before = tf.memory().numTensors;
      const model = classifier('weights');
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
      const x = tf.tensor(values(2 * 36, 'x'), [2, 6, 6, 1]);
      const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 3);
      await model.trainOnBatch(x, y);
      const profile = await tf.profile(() => model.trainOnBatch(x, y));
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
      return { kernels: profile.kernels.map((k) => k.name), left: tf.memory().numTensors - before };
    };
    const ours = await stepWith(adam(...SETTINGS));
    const theirs = await stepWith(tf.train.adam(...SETTINGS));
    assert.equal(
      ours.kernels.filter((name) => name === ADAM_UPDATE).length,
      6,
      'one for each of 6 variables',
    );
    assert.ok(
      theirs.kernels.length - ours.kernels.length >= 6 * 10,
      `${ours.kernels.length} kernels against ${theirs.kernels.length}`,
    );
    // TF.js's layers keep a tensor of their own per compiled model; the fused step adds none.
    assert.equal(ours.left, theirs.left);
    assert.ok(ours.left <= 1, `${ours.left} tensors left`);
  });

  it("is TF.js's own Adam on a backend without the fused kernel", async () => {
    assert.ok(await tf.setBackend('cpu'));
    try {
      const ours = await trained(adam(...SETTINGS));
      const theirs = await trained(tf.train.adam(...SETTINGS));
      ours.weights.forEach((w, i) => assert.deepEqual(w, theirs.weights[i], `weight ${i}, bit for bit`));
    } finally {
      assert.ok(await tf.setBackend('wasm'));
    }
  });
});

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import seedrandom from 'seedrandom';
import { selectBackend } from '../src/tf/backend.js';
import { adam } from '../src/training/adam.js';
import { rowWeightsOf } from '../src/training/class-weights.js';
import { categoricalCrossentropy } from '../src/training/cross-entropy.js';
import { trainEpoch } from '../src/training/epoch-steps.js';

const ROWS = 45;
const BATCH = 8;
const FEATURES = 6;

const values = (size: number, seed: string) => {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: size }, () => rng() * 2 - 1);
};

/** A small network with the same weights on every call: functional, or a Sequential. */
function network(
  kind: 'functional' | 'sequential',
  output: { units: number; activation: 'softmax' | 'linear' },
) {
  const layers = () => [
    tf.layers.dense({ units: 7, activation: 'relu' }),
    tf.layers.dense({ ...output, kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }),
  ];
  let model: tf.LayersModel;
  if (kind === 'sequential') {
    model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [FEATURES] }), ...layers()] });
  } else {
    const input = tf.input({ shape: [FEATURES] });
    const out = layers().reduce<tf.SymbolicTensor>((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
    model = tf.model({ inputs: input, outputs: out });
  }
  tf.tidy(() =>
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(values(w.size, `weights ${i}`), w.shape))),
  );
  return model;
}

interface Task {
  output: { units: number; activation: 'softmax' | 'linear' };
  compile: { loss: string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor); metrics: string[] };
  targets: (rows: number, seed: string) => tf.Tensor;
}

const classification: Task = {
  output: { units: 3, activation: 'softmax' },
  compile: { loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
  targets: (rows: number, seed: string) =>
    tf.tidy(() =>
      tf.oneHot(
        tf.tensor1d(
          Int32Array.from(values(rows, seed), (v) => Math.floor((v + 1) * 1.5)),
          'int32',
        ),
        3,
      ),
    ),
};
const regression: Task = {
  output: { units: 1, activation: 'linear' },
  compile: { loss: 'meanSquaredError', metrics: ['mae', 'mse'] },
  targets: (rows: number, seed: string) => tf.tensor2d(values(rows, seed), [rows, 1]),
};

interface Case {
  task: Task;
  kind: 'functional' | 'sequential';
  classWeight?: Record<number, number>;
}

/** Trains one epoch of the case through `fit` or through `trainEpoch`; the weights, batch logs and val logs. */
async function epoch(c: Case, through: 'fit' | 'trainEpoch') {
  const model = network(c.kind, c.task.output);
  model.compile({ optimizer: adam(0.05, 0.9, 0.999, 1e-7), ...c.task.compile });
  const [xs, ys, xVal, yVal] = [
    tf.tensor2d(values(ROWS * FEATURES, 'x'), [ROWS, FEATURES]),
    c.task.targets(ROWS, 'y'),
    tf.tensor2d(values(10 * FEATURES, 'val x'), [10, FEATURES]),
    c.task.targets(10, 'val y'),
  ];
  const batches: tf.Logs[] = [];
  let validation: tf.Logs;
  if (through === 'fit') {
    const history = await model.fit(xs, ys, {
      epochs: 1,
      batchSize: BATCH,
      shuffle: false,
      verbose: 0,
      classWeight: c.classWeight,
      validationData: [xVal, yVal],
      callbacks: { onBatchEnd: async (_batch, logs) => void batches.push({ ...logs }) },
    });
    validation = Object.fromEntries(
      Object.entries(history.history)
        .filter(([name]) => name.startsWith('val_'))
        .map(([name, v]) => [name, v[0] as number]),
    );
  } else {
    const rowWeights = c.classWeight ? rowWeightsOf(c.classWeight, ys) : null;
    const data = { xs, ys, rowWeights, batchSize: BATCH, validation: { x: xVal, y: yVal } };
    validation = await trainEpoch(model, data, async (logs) => {
      batches.push(logs);
      return false;
    });
    rowWeights?.dispose();
  }
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  tf.dispose([xs, ys, xVal, yVal]);
  model.optimizer.dispose();
  model.dispose();
  // fit's batch logs also carry the batch's index and size.
  return { weights, batches: batches.map(({ batch: _b, size: _s, ...logs }) => logs), validation };
}

/** One classification epoch on fresh weights, validated on its own rows, its callback stopping it at batch `stopAt`
 * (never, for 0): the logs it returns and the batches it trained. */
async function stoppedEpoch(stopAt: number) {
  const model = network('functional', classification.output);
  model.compile({ optimizer: adam(0.05, 0.9, 0.999, 1e-7), ...classification.compile });
  const xs = tf.tensor2d(values(ROWS * FEATURES, 'x'), [ROWS, FEATURES]);
  const ys = classification.targets(ROWS, 'y');
  let batches = 0;
  const data = { xs, ys, rowWeights: null, batchSize: BATCH, validation: { x: xs, y: ys } };
  const logs = await trainEpoch(model, data, async () => ++batches === stopAt);
  tf.dispose([xs, ys]);
  model.optimizer.dispose();
  model.dispose();
  return { logs, batches };
}

describe('one epoch of training steps', () => {
  before(async () => {
    await selectBackend('auto');
  });

  const cases: Array<[string, Case]> = [
    ['a functional classifier', { task: classification, kind: 'functional' }],
    ['a Sequential classifier', { task: classification, kind: 'sequential' }],
    [
      'a classifier with class weights',
      { task: classification, kind: 'functional', classWeight: { 0: 3, 1: 0.5, 2: 1 } },
    ],
    ['a regression', { task: regression, kind: 'functional' }],
    [
      "a classifier on the service's cross-entropy",
      {
        task: { ...classification, compile: { loss: categoricalCrossentropy, metrics: ['accuracy'] } },
        kind: 'functional',
      },
    ],
  ];
  for (const [name, c] of cases) {
    it(`trains ${name} exactly as fit does: the same weights, batch logs and validation`, async () => {
      const before = tf.memory().numTensors;
      const ours = await epoch(c, 'trainEpoch');
      assert.equal(tf.memory().numTensors, before);
      const fit = await epoch(c, 'fit');
      assert.equal(ours.batches.length, Math.ceil(ROWS / BATCH));
      assert.deepEqual(ours.batches, fit.batches);
      assert.deepEqual(ours.weights, fit.weights);
      assert.deepEqual(Object.keys(ours.validation).sort(), Object.keys(fit.validation).sort());
      assert.deepEqual(ours.validation, fit.validation);
    });
  }

  it('weights each row by its class', async () => {
    const weighted = await epoch(
      { task: classification, kind: 'functional', classWeight: { 0: 3, 1: 0.5, 2: 1 } },
      'trainEpoch',
    );
    const plain = await epoch({ task: classification, kind: 'functional' }, 'trainEpoch');
    assert.notDeepEqual(weighted.weights, plain.weights);
    const ys = tf.oneHot(tf.tensor1d([2, 0, 1, 0], 'int32'), 3);
    const rows = rowWeightsOf({ 0: 3, 1: 0.5, 2: 1 }, ys);
    assert.deepEqual(Array.from(rows.dataSync()), [1, 3, 0.5, 3]);
    tf.dispose([ys, rows]);
  });

  it('stops at the batch its callback says, without validating', async () => {
    const before = tf.memory().numTensors;
    const { logs, batches } = await stoppedEpoch(2);
    assert.equal(batches, 2);
    assert.deepEqual(logs, {});
    assert.equal(tf.memory().numTensors, before);
  });

  it('validates an epoch stopped at its last batch, as fit does', async () => {
    const stopped = await stoppedEpoch(Math.ceil(ROWS / BATCH));
    assert.deepEqual(Object.keys(stopped.logs).sort(), ['val_acc', 'val_loss']);
    assert.deepEqual(stopped.logs, (await stoppedEpoch(0)).logs);
  });
});

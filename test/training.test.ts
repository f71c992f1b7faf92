import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import type { Preprocessing } from '../src/models/preprocessing.js';
import { selectBackend } from '../src/tf/backend.js';
import { SeedSequence, seedDropoutPerStep } from '../src/training/model.js';
import { train, type Progress, type TrainingHooks, type TrainingInput } from '../src/training/train.js';
import { digitsData } from './helpers/digits.js';
import { loadSerialized } from './helpers/tf-model.js';

const LOW = ['0', '1', '2', '3', '4'];
const HIGH = ['5', '6', '7', '8', '9'];

/** A job spec as the API would resolve it; dataset and model ids are placeholders, the data is passed directly. */
const spec = (request: Omit<JobRequest, 'dataset'>) =>
  resolveJobSpec({ dataset: 'ds_00000000000000000000000000', ...request }, () => 0);

const CNN: JobRequest['architecture'] = {
  type: 'cnn',
  inputShape: [8, 8, 1],
  filters: [8, 16],
  denseUnits: 32,
};

/** The weights of the named layers, as plain arrays, by layer name. */
const weightsOf = (model: tf.LayersModel, names: string[]) =>
  Object.fromEntries(
    names.map((name) => [
      name,
      model
        .getLayer(name)
        .getWeights()
        .map((w) => Array.from(w.dataSync())),
    ]),
  );

describe('training (TF.js on tiny data, no Redis, no HTTP)', () => {
  let tensorsAtStart: number;
  let baseFiles: Map<string, Uint8Array | string>;
  let baseWeights: Record<string, number[][]>;
  let basePreprocessing: Preprocessing;
  const low = digitsData({ labels: LOW });
  const high = digitsData({ labels: HIGH, perClass: 100 });

  /** A fresh copy of the base CNN trained on digits 0–4: train() takes ownership of the base it is given. */
  const loadBase = () => loadSerialized(baseFiles);

  const transfer = async (
    request: Omit<JobRequest, 'dataset'>,
    extra: Partial<TrainingInput> = {},
    hooks: TrainingHooks = {},
  ) =>
    train(
      {
        spec: spec(request),
        featureShape: high.featureShape,
        labels: high.labels,
        data: high.data,
        base: await loadBase(),
        // As the worker passes a base's stored preprocessing: the transfer job keeps it.
        basePreprocessing: basePreprocessing?.standardize ?? null,
        basePixels: basePreprocessing?.pixels ?? null,
        ...extra,
      },
      hooks,
    );

  before(async () => {
    await selectBackend('auto');
    tensorsAtStart = tf.memory().numTensors;
    const result = await train({
      spec: spec({ architecture: CNN, hyperparameters: { epochs: 8, learningRate: 0.003 }, seed: 1 }),
      ...low,
    });
    try {
      assert.ok(
        result.evaluation!.accuracy > 0.9,
        `the base reaches ${result.evaluation!.accuracy} on digits 0–4`,
      );
      baseFiles = await ModelStore.serialize(result.model, {});
      basePreprocessing = result.preprocessing;
      baseWeights = weightsOf(result.model, ['conv1', 'conv2']);
    } finally {
      result.dispose();
    }
  });

  after(() => {
    // Every result was disposed: nothing the training code made outlives it.
    assert.equal(tf.memory().numTensors, tensorsAtStart);
  });

  it('transfers a CNN trained on digits 0–4 to digits 5–9 with the base frozen, training only the head on cached features', async () => {
    const result = await transfer({
      baseModel: 'mdl_00000000000000000000000000',
      transfer: { head: { hiddenUnits: [32] } },
      hyperparameters: { epochs: 8, learningRate: 0.01 },
      seed: 2,
    });
    try {
      assert.equal(result.featureCaching, true);
      assert.deepEqual(result.inputShape, [8, 8, 1]);
      assert.deepEqual(
        result.history.map((row) => row.phase),
        new Array(8).fill('head'),
      );
      assert.equal(result.evaluation?.split, 'validation');
      assert.equal(result.evaluation?.rows, 100);
      assert.deepEqual(
        result.evaluation?.perClass.map((p) => p.label),
        HIGH,
      );
      assert.ok(
        result.evaluation.accuracy >= 0.8,
        `transfer accuracy ${result.evaluation.accuracy} on digits 5–9`,
      );
      assert.equal(result.metrics.val_accuracy, result.history[7]!.val_accuracy);
      // The frozen base is bit for bit the one trained on 0–4; only the head learnt.
      assert.deepEqual(weightsOf(result.model, ['conv1', 'conv2']), baseWeights);
      assert.deepEqual(
        result.model.layers.slice(1).map((layer) => [layer.name, layer.trainable]),
        [
          ['conv1', false],
          ['pool1', false],
          ['conv2', false],
          ['pool2', false],
          ['features', false],
          ['head1_dense1', true],
          ['head1_dropout1', true],
          ['head1_output', true],
        ],
      );
    } finally {
      result.dispose();
    }
  });

  it('feature caching changes nothing but the work: the same job without it learns the same head', async () => {
    const request = {
      baseModel: 'mdl_00000000000000000000000000',
      transfer: { head: { hiddenUnits: [16], dropout: 0 } },
      hyperparameters: { epochs: 2 },
      seed: 3,
    };
    const cached = await transfer(request);
    const direct = await transfer(request, { featureCaching: false });
    try {
      assert.equal(cached.featureCaching, true);
      assert.equal(direct.featureCaching, false);
      assert.equal(direct.history.length, cached.history.length);
      cached.history.forEach((row, i) => {
        const other = direct.history[i]!;
        for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const) {
          assert.ok(
            Math.abs(row[key]! - other[key]!) < 1e-4,
            `epoch ${row.epoch} ${key}: ${row[key]} vs ${other[key]}`,
          );
        }
      });
    } finally {
      cached.dispose();
      direct.dispose();
    }
  });

  it('a fine-tune phase adds "fine-tune" history rows and trains the unfrozen top of the base', async () => {
    const logs: string[] = [];
    const progress: Progress[] = [];
    const result = await transfer(
      {
        baseModel: 'mdl_00000000000000000000000000',
        transfer: { head: { hiddenUnits: [16] } },
        hyperparameters: {
          epochs: 2,
          learningRate: 0.01,
          fineTune: { epochs: 2, learningRate: 1e-3, unfreeze: 3 },
        },
        seed: 4,
      },
      {},
      { onLog: async (message) => void logs.push(message), onProgress: async (p) => void progress.push(p) },
    );
    // unfreeze: 3 opens the top three base layers (conv2, pool2, features); conv1 stays frozen.
    try {
      assert.deepEqual(
        result.history.map((row) => [row.epoch, row.phase]),
        [
          [1, 'head'],
          [2, 'head'],
          [3, 'fine-tune'],
          [4, 'fine-tune'],
        ],
      );
      assert.equal(result.featureCaching, true, 'the head phase still trains on cached features');
      for (const row of result.history) assert.equal(Number.isFinite(row.val_loss), true);
      const after = weightsOf(result.model, ['conv1', 'conv2']);
      assert.deepEqual(after.conv1, baseWeights.conv1);
      assert.notDeepEqual(after.conv2, baseWeights.conv2);
      assert.deepEqual(result.metrics, {
        loss: result.history[3]!.loss,
        accuracy: result.history[3]!.accuracy,
        val_loss: result.history[3]!.val_loss,
        val_accuracy: result.history[3]!.val_accuracy,
      });
      assert.deepEqual(logs, ['fine-tuning the top 3 base layers at learning rate 0.001']);
      const last = progress.at(-1)!;
      assert.deepEqual([last.phase, last.epoch, last.epochs, last.fraction], ['fine-tune', 4, 4, 1]);
      assert.deepEqual(last.history, result.history);
      assert.deepEqual(
        [...new Set(progress.map((p) => `${p.phase} ${p.epoch}`))],
        // The frozen base's features pass reports first, before any epoch.
        ['features 0', 'head 1', 'head 2', 'fine-tune 3', 'fine-tune 4'],
      );
    } finally {
      result.dispose();
    }
  });

  it('seeded dropout draws a new mask every training step, the same sequence for the same seed', () => {
    const build = () => {
      const input = tf.input({ shape: [32] });
      const dropout = tf.layers.dropout({ rate: 0.5, seed: 7, name: 'drop' });
      const model = tf.model({ inputs: input, outputs: dropout.apply(input) as tf.SymbolicTensor });
      seedDropoutPerStep(model, new SeedSequence(3));
      return dropout;
    };
    const masks = (layer: tf.layers.Layer) =>
      tf.tidy(() =>
        [0, 1, 2].map(() => (layer.apply(tf.ones([1, 32]), { training: true }) as tf.Tensor).arraySync()),
      );
    const first = build();
    const [a, b, c] = masks(first);
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(b, c);
    assert.deepEqual(masks(build()), [a, b, c]);
    assert.equal(first.getConfig().seed, 7, 'the saved config keeps the layer seed');
    const inference = tf.tidy(() => (first.apply(tf.ones([1, 32])) as tf.Tensor).arraySync());
    assert.deepEqual(inference, [new Array(32).fill(1)]);
  });

  describe('from scratch', () => {
    const data = digitsData({ perClass: 20 });
    const run = (request: Omit<JobRequest, 'dataset'>, hooks: TrainingHooks = {}) =>
      train({ spec: spec(request), ...data }, hooks);
    const allWeights = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

    it('the same seed and data give identical metrics, history, evaluation and weights', async () => {
      const request = {
        architecture: { ...CNN, filters: [4], denseUnits: 16 },
        hyperparameters: { epochs: 3 },
        seed: 42,
      };
      const first = await run(request);
      const second = await run(request);
      const other = await run({ ...request, seed: 43 });
      try {
        assert.deepEqual(second.history, first.history);
        assert.deepEqual(second.metrics, first.metrics);
        assert.deepEqual(second.evaluation, first.evaluation);
        assert.deepEqual(second.preprocessing, first.preprocessing);
        assert.deepEqual(allWeights(second.model), allWeights(first.model));
        assert.notDeepEqual(other.history, first.history);
      } finally {
        first.dispose();
        second.dispose();
        other.dispose();
      }
    });

    it('standardizes with statistics of the training split only, leaving constant pixels unscaled', async () => {
      const result = await run({
        architecture: { type: 'mlp', hiddenUnits: [8] },
        hyperparameters: { epochs: 1 },
        seed: 5,
      });
      try {
        const { mean, std } = result.preprocessing!.standardize!;
        assert.equal(mean.length, 64);
        // Pixel 0 is blank in every digit: mean 0, and std 1 rather than a division by zero.
        assert.equal(mean[0], 0);
        assert.equal(std[0], 1);
        assert.ok(mean.every((m) => m >= 0 && m <= 16));
        assert.ok(std.every((v) => v > 0));
        // 200 rows, 20% of each class held out: 160 train the model, 40 evaluate it.
        assert.equal(result.evaluation?.rows, 40);
      } finally {
        result.dispose();
      }
    });

    it('early stopping stops once the monitored metric stops improving and restores the best weights', async () => {
      // minDelta is so large that no epoch after the first counts as better: epoch 2 stops training.
      const request = {
        architecture: { type: 'mlp' as const, hiddenUnits: [16] },
        hyperparameters: { epochs: 6, earlyStopping: { patience: 0, minDelta: 1e6, restoreBest: true } },
        seed: 9,
      };
      const logs: string[] = [];
      const stopped = await run(request, { onLog: async (message) => void logs.push(message) });
      const oneEpoch = await run({ ...request, hyperparameters: { epochs: 1 } });
      const kept = await run({
        ...request,
        hyperparameters: {
          ...request.hyperparameters,
          earlyStopping: { ...request.hyperparameters.earlyStopping, restoreBest: false },
        },
      });
      const twoEpochs = await run({ ...request, hyperparameters: { epochs: 2 } });
      try {
        assert.equal(stopped.history.length, 2);
        assert.deepEqual(logs, [
          'early stopping in the head phase after epoch 2: val_loss did not improve for 1 epoch',
          'restored the weights of epoch 1 (best val_loss)',
        ]);
        // The result is epoch 1's: its metrics, and exactly the weights a one-epoch run ends with.
        const best = stopped.history[0]!;
        assert.deepEqual(stopped.metrics, {
          loss: best.loss,
          accuracy: best.accuracy,
          val_loss: best.val_loss,
          val_accuracy: best.val_accuracy,
        });
        assert.deepEqual(allWeights(stopped.model), allWeights(oneEpoch.model));
        assert.ok(Math.abs(stopped.evaluation!.accuracy - best.val_accuracy!) < 1e-6);
        assert.notDeepEqual(allWeights(stopped.model), allWeights(twoEpochs.model));

        // Without restoreBest it stops at the same epoch but keeps the last weights.
        assert.equal(kept.history.length, 2);
        assert.deepEqual(kept.metrics.val_loss, kept.history[1]!.val_loss);
        assert.deepEqual(allWeights(kept.model), allWeights(twoEpochs.model));
      } finally {
        for (const result of [stopped, oneEpoch, kept, twoEpochs]) result.dispose();
      }
    });

    it('early stopping on val_accuracy with room to improve runs every epoch', async () => {
      const result = await run({
        architecture: { type: 'mlp', hiddenUnits: [16] },
        hyperparameters: {
          epochs: 3,
          learningRate: 0.01,
          earlyStopping: { monitor: 'val_accuracy', patience: 5 },
        },
        seed: 9,
      });
      try {
        assert.equal(result.history.length, 3);
        const best = Math.max(...result.history.map((row) => row.val_accuracy!));
        assert.equal(result.metrics.val_accuracy, best);
      } finally {
        result.dispose();
      }
    });
  });
});

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { augmentImages } from '../src/training/augmentation.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/training/checkpoint.js';
import { classWeightsOf } from '../src/training/class-weights.js';
import { train, TrainingStopped, type Progress, type TrainingInput } from '../src/training/train.js';
import { fashionData, type ImageTrainingData } from './helpers/fashion-data.js';
import { loadSerialized } from './helpers/tf-model.js';

const LOW = ['ankle-boot', 'bag', 'coat', 'dress', 'pullover'];
const HIGH = ['sandal', 'shirt', 'sneaker', 't-shirt-top', 'trouser'];
const SMALL_CNN: JobRequest['architecture'] = {
  type: 'cnn',
  inputShape: [28, 28, 1],
  filters: [8],
  denseUnits: 16,
};
const FROM_SCRATCH_PIXELS = { scale: 1 / 255, offset: 0 };
/** Training inputs name their base by id; the base model itself is passed in. */
const BASE_ID = 'mdl_00000000000000000000000000';

describe('image training options (TF.js on Fashion-MNIST PNGs, no Redis, no HTTP)', () => {
  let high: ImageTrainingData;
  let skewed: ImageTrainingData;
  let baseFiles: Map<string, Uint8Array | string>;
  let tensorsBefore: number;

  /** A training input for `train()` on image data, as the worker builds it. */
  const inputOn = async (
    data: ImageTrainingData,
    request: Omit<JobRequest, 'dataset'>,
    extra: Partial<TrainingInput> = {},
  ): Promise<TrainingInput> => ({
    spec: resolveJobSpec({ dataset: 'ds_00000000000000000000000000', ...request }, () => 0),
    ...data,
    ...extra,
  });

  before(async () => {
    await selectBackend('auto');
    tensorsBefore = tf.memory().numTensors;
    [high, skewed] = await Promise.all([
      fashionData(HIGH),
      fashionData(['ankle-boot', 'pullover', 'shirt'], [30, 6, 6]),
    ]);
    const base = await train(
      await inputOn(await fashionData(LOW), {
        architecture: { type: 'cnn', inputShape: [28, 28, 1], filters: [16, 32], denseUnits: 64 },
        hyperparameters: { epochs: 4, learningRate: 0.003 },
        seed: 1,
      }),
    );
    baseFiles = await ModelStore.serialize(base.model, {});
    base.dispose();
  });

  it('computes a frozen base’s features once, in chunks, with progress; with augmentation, only the validation rows’ once', async () => {
    const progressOf = async (request: Omit<JobRequest, 'dataset'>) => {
      const progress: Progress[] = [];
      const logs: string[] = [];
      const input = await inputOn(high, request, {
        base: await loadSerialized(baseFiles),
        basePixels: FROM_SCRATCH_PIXELS,
        predictChunkRows: 16,
        progressIntervalMs: 0,
      });
      const result = await train(input, {
        onProgress: async (p) => void progress.push(p),
        onLog: async (message) => void logs.push(message),
      });
      result.dispose();
      const features = progress.filter((p) => p.phase === 'features');
      const lastFeatures = progress.lastIndexOf(features.at(-1)!);
      assert.ok(progress.slice(0, lastFeatures).every((p) => p.phase === 'features'));
      return { features, logs, featureCaching: result.featureCaching };
    };
    const request = { baseModel: BASE_ID, hyperparameters: { epochs: 2 }, seed: 4 };
    // 150 images: 120 to train on, 30 to validate on, in chunks of 16.
    const cached = await progressOf(request);
    assert.equal(cached.featureCaching, true);
    assert.deepEqual(
      cached.features.map((p) => p.batch),
      Array.from({ length: 8 + 2 }, (_, i) => i + 1),
    );
    assert.ok(cached.features.every((p) => p.batches === 10 && p.epoch === 0));
    assert.deepEqual(cached.logs, []);
    const augmented = await progressOf({ ...request, augmentation: { flip: 'horizontal' } });
    assert.equal(augmented.featureCaching, false);
    assert.deepEqual(
      augmented.features.map((p) => [p.batch, p.batches]),
      [
        [1, 2],
        [2, 2],
      ],
    );
    assert.match(augmented.logs.join('\n'), /computed again every epoch/);
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });

  it('augmentation draws each image’s changes from the seed, the epoch and its place alone', async () => {
    const x = tf.tensor(high.data.features.slice(0, 8 * 784), [8, 28, 28, 1]);
    const flip = { flip: 'horizontal' as const, shift: 0, brightness: 0 };
    const all = { flip: 'horizontal' as const, shift: 0.1, brightness: 0.2 };
    try {
      const values = (t: tf.Tensor) => {
        const out = Array.from(t.dataSync());
        t.dispose();
        return out;
      };
      const mirrored = values(tf.reverse(x, 2));
      const flipped = values(augmentImages(x, flip, { seed: 1, epoch: 1, first: 0 }));
      const original = values(x.clone());
      const kinds = Array.from({ length: 8 }, (_, i) => {
        const image = flipped.slice(i * 784, (i + 1) * 784);
        const near = (other: number[]) => image.every((v, k) => Math.abs(v - other[i * 784 + k]!) < 1e-3);
        return near(original) ? 'kept' : near(mirrored) ? 'mirrored' : 'other';
      });
      assert.deepEqual(new Set(kinds), new Set(['kept', 'mirrored']));

      const whole = values(augmentImages(x, all, { seed: 1, epoch: 3, first: 0 }));
      const tail = x.slice(5, 3);
      assert.deepEqual(
        values(augmentImages(tail, all, { seed: 1, epoch: 3, first: 5 })),
        whole.slice(5 * 784),
      );
      tail.dispose();
      assert.ok(whole.every((v) => v >= 0 && v <= 255));
      assert.notDeepEqual(whole, original);
      assert.notDeepEqual(values(augmentImages(x, all, { seed: 1, epoch: 4, first: 0 })), whole);
      assert.deepEqual(values(augmentImages(x, all, { seed: 1, epoch: 3, first: 0 })), whole);
    } finally {
      x.dispose();
    }

    // Whole training runs: the same seed gives the same run; augmentation changes what it learns from.
    const trained = async (request: Omit<JobRequest, 'dataset'>, extra: Partial<TrainingInput> = {}) => {
      const result = await train(await inputOn(high, request, extra));
      const weights = result.model.getWeights().map((w) => Array.from(w.dataSync()));
      result.dispose();
      return { history: result.history, weights };
    };
    const request = { architecture: SMALL_CNN, hyperparameters: { epochs: 2 }, seed: 7 };
    const a = await trained({ ...request, augmentation: all });
    const b = await trained({ ...request, augmentation: all });
    const plain = await trained(request);
    assert.deepEqual(b, a);
    assert.notDeepEqual(plain.history, a.history);

    // Stopped part-way through epoch 2 and resumed from that batch: the rest of the epoch is augmented as before.
    const controller = new AbortController();
    let saved: Buffer | undefined;
    const stopping = await inputOn(
      high,
      { ...request, augmentation: all },
      { signal: controller.signal, checkpointEvery: 0, progressIntervalMs: 0 },
    );
    await assert.rejects(
      train(stopping, {
        onProgress: async (p) => void (p.epoch === 2 && p.batch === 2 && controller.abort('handoff')),
        onCheckpoint: async (c) => void (saved = await encodeCheckpoint(c)),
      }),
      (error: unknown) => error instanceof TrainingStopped,
    );
    const resume = decodeCheckpoint(saved!);
    assert.deepEqual([resume.state.history.length, resume.state.batchesDone], [1, 2]);
    const resumed = await trained({ ...request, augmentation: all }, { resume });
    assert.deepEqual(
      resumed.history.map((row) => row.epoch),
      [1, 2],
    );
    resumed.history.forEach((row, i) => assert.ok(Math.abs(row.loss - a.history[i]!.loss) < 1e-5));
    resumed.weights.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - a.weights[i]![j]!) < 1e-5)));
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });

  it('classWeight weights each class in the loss: balanced by the training rows, or as given', async () => {
    const labelIndex = Uint32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
    const rows = Uint32Array.from(labelIndex.keys());
    assert.deepEqual(classWeightsOf('balanced', ['a', 'b', 'c'], labelIndex, rows), {
      0: 10 / 18,
      1: 10 / 6,
      2: 10 / 6,
    });
    assert.deepEqual(classWeightsOf({ b: 3 }, ['a', 'b', 'c'], labelIndex, rows), { 0: 1, 1: 3, 2: 1 });

    // Every class weighted 2: the training loss doubles, while Adam, which normalizes its steps, takes the same
    // steps, so validation loss (never weighted) stays where it was.
    const losses = async (classWeight?: JobRequest['classWeight']) => {
      const request = { architecture: SMALL_CNN, hyperparameters: { epochs: 3 }, seed: 5, classWeight };
      const result = await train(await inputOn(skewed, request));
      result.dispose();
      return result.history;
    };
    const plain = await losses();
    const doubled = await losses({ 'ankle-boot': 2, pullover: 2, shirt: 2 });
    doubled.forEach((row, i) => {
      assert.ok(
        Math.abs(row.loss / plain[i]!.loss - 2) < 1e-3,
        `epoch ${i + 1}: ${row.loss} vs ${plain[i]!.loss}`,
      );
      assert.ok(Math.abs(row.val_loss! - plain[i]!.val_loss!) < 1e-3);
    });
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });
});

import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import type { Preprocessing } from '../src/models/preprocessing.js';
import { selectBackend } from '../src/tf/backend.js';
import { train } from '../src/training/train.js';
import { digitsData } from './helpers/digits.js';
import { loadSerialized } from './helpers/tf-model.js';

/** A job spec as the API would resolve it; dataset and model ids are placeholders, the data is passed directly. */
const spec = (request: Omit<JobRequest, 'dataset'>) =>
  resolveJobSpec({ dataset: 'ds_00000000000000000000000000', ...request }, () => 0);

const CNN = { type: 'cnn' as const, inputShape: [8, 8, 1], filters: [8, 16], denseUnits: 32 };
const BASE_ID = 'mdl_00000000000000000000000000';

describe('CNN pooling: max, average, none, and global average pooling (TF.js on the digits, no Redis)', () => {
  let tensorsAtStart: number;
  const low = digitsData({ labels: ['0', '1', '2', '3', '4'] });
  const high = digitsData({ labels: ['5', '6', '7', '8', '9'], perClass: 100 });

  /** A base trained on digits 0–4, saved as the model store saves it, with the preprocessing it applied. */
  const trainBase = async (architecture: JobRequest['architecture']) => {
    const result = await train({
      spec: spec({ architecture, hyperparameters: { epochs: 8, learningRate: 0.003 }, seed: 1 }),
      ...low,
    });
    try {
      return {
        accuracy: result.evaluation!.accuracy,
        layers: result.model.layers.map((layer) => [layer.name, layer.outputShape]),
        files: await ModelStore.serialize(result.model, {}),
        preprocessing: result.preprocessing,
      };
    } finally {
      result.dispose();
    }
  };

  /** A head on the frozen base, cut at `cutLayer`, trained on digits 5–9. */
  const transfer = async (
    base: { files: Map<string, Uint8Array | string>; preprocessing: Preprocessing },
    cutLayer: string,
  ) => {
    const result = await train({
      spec: spec({
        baseModel: BASE_ID,
        transfer: { cutLayer, head: { hiddenUnits: [32] } },
        hyperparameters: { epochs: 8, learningRate: 0.01 },
        seed: 2,
      }),
      ...high,
      base: await loadSerialized(base.files),
      basePixels: base.preprocessing?.pixels ?? null,
    });
    try {
      // The transfer keeps the base's scaling: its frozen layers were trained on inputs scaled that way.
      assert.deepEqual(result.preprocessing, base.preprocessing);
      return {
        accuracy: result.evaluation!.accuracy,
        layers: result.model.layers.slice(1).map((layer) => [layer.name, layer.trainable]),
      };
    } finally {
      result.dispose();
    }
  };

  let unpooled: Awaited<ReturnType<typeof trainBase>>;

  before(async () => {
    await selectBackend('auto');
    tensorsAtStart = tf.memory().numTensors;
    unpooled = await trainBase({ ...CNN, pooling: 'none' });
  });
  after(() => assert.equal(tf.memory().numTensors, tensorsAtStart));

  it('an unpooled CNN keeps every position to its features: it trains, and transfers better than the pooled one', async () => {
    assert.deepEqual(unpooled.layers, [
      ['input', [null, 8, 8, 1]],
      ['conv1', [null, 8, 8, 8]],
      ['conv2', [null, 8, 8, 16]],
      ['features', [null, 8 * 8 * 16]],
      ['dense1', [null, 32]],
      ['dropout1', [null, 32]],
      ['output', [null, 5]],
    ]);
    assert.ok(unpooled.accuracy > 0.9, `the unpooled base reaches ${unpooled.accuracy}`);
    // Rows a CNN takes as images are scaled as a whole by default: the digits' largest value is 16.
    assert.deepEqual(unpooled.preprocessing, { pixels: { scale: 1 / 16, offset: 0 } });
    const pooled = await trainBase(CNN);
    assert.deepEqual(
      pooled.layers.slice(1, 6).map(([name]) => name),
      ['conv1', 'pool1', 'conv2', 'pool2', 'features'],
    );
    // Every position of the last convolution reaches the head, not one in four per pool.
    const [fine, coarse] = [await transfer(unpooled, 'features'), await transfer(pooled, 'features')];
    assert.ok(
      fine.accuracy >= 0.9 && fine.accuracy > coarse.accuracy,
      `transfer accuracy ${fine.accuracy} unpooled, ${coarse.accuracy} max-pooled`,
    );
  });

  it('a cut at an unpooled convolution gets the head’s global average pooling', async () => {
    const conv2 = await transfer(unpooled, 'conv2');
    assert.deepEqual(conv2.layers, [
      ['conv1', false],
      ['conv2', false],
      ['head1_pool', true],
      ['head1_dense1', true],
      ['head1_dropout1', true],
      ['head1_output', true],
    ]);
    // 16 channel means are coarse, but well above chance (0.2).
    assert.ok(conv2.accuracy > 0.4, `transfer accuracy ${conv2.accuracy} from conv2`);
  });

  it('average pooling after each convolution, and global average pooling as the features', async () => {
    const result = await train({
      spec: spec({
        architecture: { ...CNN, pooling: 'avg', globalPooling: true },
        hyperparameters: { epochs: 2 },
        seed: 3,
      }),
      ...low,
    });
    try {
      assert.deepEqual(
        result.model.layers.slice(1, 6).map((layer) => [layer.getClassName(), layer.name, layer.outputShape]),
        [
          ['Conv2D', 'conv1', [null, 8, 8, 8]],
          ['AveragePooling2D', 'pool1', [null, 4, 4, 8]],
          ['Conv2D', 'conv2', [null, 4, 4, 16]],
          ['AveragePooling2D', 'pool2', [null, 2, 2, 16]],
          ['GlobalAveragePooling2D', 'features', [null, 16]],
        ],
      );
      assert.equal(result.history.length, 2);
      assert.ok(result.history.every((row) => Number.isFinite(row.loss)));
    } finally {
      result.dispose();
    }
  });
});

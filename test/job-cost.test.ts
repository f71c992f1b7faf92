import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import {
  budgetExcesses,
  estimateJobCost,
  jobBudget,
  predictChunkRows,
  type DataShape,
} from '../src/jobs/job-cost.js';
import { resolveJobSpec, type JobRequest, type JobSpec } from '../src/jobs/job-spec.js';
import { describeLayers } from '../src/models/model-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { PREDICT_CHUNK_ROWS, predictInChunks } from '../src/training/evaluate.js';
import { modelInputShape } from '../src/training/train.js';
import {
  buildFromArchitecture,
  buildTransferModel,
  defaultCutLayer,
  disposeModels,
  SeedSequence,
} from '../src/training/model.js';
import { mobileNetV2Summary } from './helpers/mobilenet-summary.js';

const spec = (request: Omit<JobRequest, 'dataset'>): JobSpec =>
  resolveJobSpec({ dataset: 'ds_00000000000000000000000000', ...request }, () => 0);

const DIGITS: DataShape = { featureShape: [64], classes: 10, rows: 1797 };
const budget = jobBudget(loadConfig({}, {}));

const count = (shape: Array<number | null>) => shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
/** The values one row produces in a built model: its input and every layer's output. */
const activationsPerRow = (model: tf.LayersModel) =>
  describeLayers(model).reduce(
    (n, layer) => n + (layer.className === 'InputLayer' ? 0 : count(layer.outputShape)),
    count(model.inputs[0]!.shape),
  );
const trainableCount = (model: tf.LayersModel) =>
  model.trainableWeights.reduce((n, weight) => n + tf.util.sizeFromShape(weight.shape as number[]), 0);

describe('job cost estimates (the models src/training/model.ts builds, no Redis)', () => {
  let tensorsAtStart: number;
  before(async () => {
    await selectBackend('wasm');
    tensorsAtStart = tf.memory().numTensors;
  });
  after(() => assert.equal(tf.memory().numTensors, tensorsAtStart, 'every model built here is disposed'));

  const built = (job: JobSpec, data: DataShape) =>
    buildFromArchitecture(
      job.architecture!,
      modelInputShape(job, data.featureShape),
      data.classes,
      new SeedSequence(1),
    );

  const rows: Array<[string, JobSpec, DataShape]> = [
    [
      'mlp with dropout',
      spec({ architecture: { type: 'mlp', hiddenUnits: [32, 16], dropout: 0.2 } }),
      DIGITS,
    ],
    [
      'mlp on 2-D rows (flattened)',
      spec({ architecture: { type: 'mlp', hiddenUnits: [8] } }),
      { featureShape: [6, 5], classes: 3, rows: 40 },
    ],
    [
      'cnn with odd sizes (pooling rounds up)',
      spec({ architecture: { type: 'cnn', inputShape: [7, 9, 2], filters: [3, 5], kernelSize: 5 } }),
      { featureShape: [7, 9, 2], classes: 4, rows: 40 },
    ],
    ['the README cnn', spec({ architecture: { type: 'cnn', inputShape: [8, 8, 1] } }), DIGITS],
    [
      'cnn without pooling',
      spec({ architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [4, 8], pooling: 'none' } }),
      DIGITS,
    ],
    [
      'cnn with average pools and global average pooling before the dense layer',
      spec({
        architecture: {
          type: 'cnn',
          inputShape: [7, 9, 2],
          filters: [3, 5],
          pooling: 'avg',
          globalPooling: true,
        },
      }),
      { featureShape: [7, 9, 2], classes: 4, rows: 40 },
    ],
  ];
  for (const [name, job, data] of rows) {
    it(`${name}: weights and activations as TF.js counts them`, () => {
      const model = built(job, data);
      try {
        const cost = estimateJobCost(job, data);
        assert.equal(cost.params, model.countParams());
        assert.equal(cost.trainableParams, model.countParams());
        assert.equal(cost.activationsPerRow, activationsPerRow(model));
      } finally {
        disposeModels(model);
      }
    });
  }

  it('a transfer job: the base up to the cut from its layer summary, the head, and what trains per phase', () => {
    const baseJob = spec({ architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [4, 8] } });
    const base = built(baseJob, DIGITS);
    const summary = { layers: describeLayers(base), defaultCutLayer: defaultCutLayer(base) };
    const job = spec({
      baseModel: 'mdl_00000000000000000000000000',
      transfer: { cutLayer: 'pool2', freeze: 1, head: { hiddenUnits: [12] } },
      hyperparameters: { fineTune: { epochs: 1, unfreeze: 3 } },
    });
    const classes = { ...DIGITS, classes: 3 };
    const transfer = buildTransferModel(
      base,
      { ...job.transfer!, cutLayer: 'pool2' },
      3,
      new SeedSequence(2),
    );
    try {
      const cost = estimateJobCost(job, classes, summary);
      assert.equal(cost.params, transfer.model.countParams());
      assert.equal(cost.activationsPerRow, activationsPerRow(transfer.model));
      // freeze 1 leaves pool2 (no weights) trainable; unfreeze 3 reaches conv2, the most trainable at once.
      transfer.baseLayers.forEach((layer, i) => (layer.trainable = i >= transfer.baseLayers.length - 3));
      assert.equal(cost.trainableParams, trainableCount(transfer.model));
    } finally {
      disposeModels(transfer.model, transfer.head, base);
    }
  });

  it('work per batch: forward and backward for a training batch, forward only for a prediction chunk', () => {
    // 64 → 10 → 10: two operations per weight per row forward, twice that again backward.
    const mlp = spec({
      architecture: { type: 'mlp', hiddenUnits: [10] },
      hyperparameters: { batchSize: 512 },
    });
    const forward = 2 * (64 * 10 + 10) + 2 * (10 * 10 + 10);
    assert.equal(estimateJobCost(mlp, DIGITS).batchFlops, 3 * forward * 512);
    assert.equal(estimateJobCost(mlp, DIGITS).batchBound.batchFlops, true);
    // A batch of 32 does less than a 256-row prediction pass.
    const small = { ...mlp, hyperparameters: { ...mlp.hyperparameters, batchSize: 32 } };
    assert.equal(estimateJobCost(small, DIGITS).batchFlops, forward * 256);
    // Fewer rows than batchSize: the batch is every row.
    assert.equal(estimateJobCost(mlp, { ...DIGITS, rows: 100 }).batchRows, 100);
  });

  it('the default budget admits what the README, demo and benches train, and refuses the costly shapes', () => {
    const admitted = [
      spec({ architecture: { type: 'mlp' } }),
      spec({ architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [16, 32], denseUnits: 64 } }),
      spec({ architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [64, 128], denseUnits: 128 } }),
    ];
    for (const job of admitted)
      assert.deepEqual(budgetExcesses(job, estimateJobCost(job, DIGITS), budget), []);
    const deep = spec({
      architecture: { type: 'mlp', hiddenUnits: [4096, 4096, 4096, 4096] },
      hyperparameters: { batchSize: 1024 },
    });
    assert.deepEqual(
      budgetExcesses(deep, estimateJobCost(deep, DIGITS), budget).map((excess) => excess.quantity),
      ['params', 'batchFlops'],
    );
  });

  it('224-px images on the default budget: a MobileNet v2 head and a [32, 64] cnn, batch 32, are admitted', () => {
    const images: DataShape = { featureShape: [224, 224, 3], classes: 5, rows: 2000 };
    const mobileNet = mobileNetV2Summary();
    // The summary is MobileNet v2 1.0 as Keras builds it, without its classifier.
    assert.equal(
      mobileNet.layers.reduce((n, layer) => n + layer.params, 0),
      2_257_984,
    );
    const head = spec({ baseModel: 'mdl_00000000000000000000000000' });
    const cnn = spec({ architecture: { type: 'cnn', inputShape: [224, 224, 3], filters: [32, 64] } });
    for (const [job, base] of [
      [head, mobileNet],
      [cnn, undefined],
    ] as const) {
      const cost = estimateJobCost(job, images, base, budget);
      assert.deepEqual(budgetExcesses(job, cost, budget), [], JSON.stringify(cost));
      // Prediction chunks come down from 256 rows to what fits the budget; 256 rows at once would not.
      assert.ok(cost.predictChunkRows > 1 && cost.predictChunkRows < PREDICT_CHUNK_ROWS);
      assert.notDeepEqual(budgetExcesses(job, estimateJobCost(job, images, base), budget), []);
    }
    // With the base frozen the head trains on cached features: a batch is the head's work, not the base's.
    const headCost = estimateJobCost(head, images, mobileNet, budget);
    assert.ok(headCost.batchFlops <= budget.maxBatchFlops);
    // Unfrozen, the batch runs the whole base forward and back, and keeps every activation: over the budget.
    const fineTune = spec({
      baseModel: 'mdl_00000000000000000000000000',
      hyperparameters: { fineTune: { epochs: 1 } },
    });
    const quantities = budgetExcesses(fineTune, estimateJobCost(fineTune, images, mobileNet, budget), budget);
    assert.deepEqual(
      quantities.map((excess) => excess.quantity),
      ['activationBytes'],
    );
    assert.ok(quantities[0]!.lower.includes('/hyperparameters/batchSize'));
    // A budget the head's batch of 8 fits (4 MiB) but not one row through the base (9 MiB): refused for the
    // prediction, which a smaller batch would not help.
    const small = spec({ baseModel: 'mdl_00000000000000000000000000', hyperparameters: { batchSize: 8 } });
    const rowOver = { ...budget, maxActivationBytes: 6 * 1024 * 1024 };
    const [over] = budgetExcesses(small, estimateJobCost(small, images, mobileNet, rowOver), rowOver);
    assert.equal(over?.quantity, 'activationBytes');
    assert.equal(over.lower.includes('/hyperparameters/batchSize'), false);
  });

  it('prediction chunks: the largest adjacent pair of layer outputs per row, sized to the budget, at least 1 row', () => {
    // 64 → 10 → 10 values a row: the largest pair is the input and the first layer, 74 values.
    const mlp = spec({ architecture: { type: 'mlp', hiddenUnits: [10] } });
    const forward = 2 * (64 * 10 + 10) + 2 * (10 * 10 + 10);
    const tight = { maxParams: 1e9, maxActivationBytes: 74 * 4 * 40, maxBatchFlops: 1e15 };
    assert.equal(estimateJobCost(mlp, DIGITS, undefined, tight).predictChunkRows, 40);
    assert.equal(predictChunkRows(74, forward, { ...tight, maxBatchFlops: forward * 7 }), 7);
    assert.equal(predictChunkRows(74, forward, { ...tight, maxActivationBytes: 1 }), 1);
    assert.equal(predictChunkRows(74, forward, budget), PREDICT_CHUNK_ROWS);
    // However tight the budget, a chunk has a row.
    assert.equal(
      estimateJobCost(mlp, DIGITS, undefined, { ...tight, maxActivationBytes: 1 }).predictChunkRows,
      1,
    );
  });

  it('predictInChunks predicts in chunks of the rows it is given', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const x = tf.ones([10, 3]);
    try {
      const sizes = await predictInChunks(model, x, (output) => output.shape[0], 4);
      assert.deepEqual(sizes, [4, 4, 2]);
    } finally {
      x.dispose();
      disposeModels(model);
    }
  });
});

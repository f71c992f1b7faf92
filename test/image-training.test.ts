import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import type { Evaluation } from '../src/training/evaluate.js';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import { newId } from '../src/ids.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { JobView } from '../src/jobs/job-service.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import { modelRecord } from '../src/models/model-record.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { fashionImages, zipOf, type ArchiveFile } from './helpers/archives.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import {
  MOBILENET_CUT,
  MOBILENET_PIXELS,
  mobileNetV2NoTop,
  unwrappedUpload,
} from './helpers/mobilenet-base.js';
import { modelUpload, postModel, saveModel, smallMlp } from './helpers/tf-model.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

const TENANT = 'default';
const LOW = ['ankle-boot', 'bag', 'coat', 'dress', 'pullover'];
const HIGH = ['sandal', 'shirt', 'sneaker', 't-shirt-top', 'trouser'];
type Architecture = JobRequest['architecture'];
const CNN: Architecture = { type: 'cnn', inputShape: [28, 28, 1], filters: [16, 32], denseUnits: 64 };
const SMALL_CNN: Architecture = { type: 'cnn', inputShape: [28, 28, 1], filters: [8], denseUnits: 16 };
const FROM_SCRATCH_PIXELS = { scale: 1 / 255, offset: 0 };
const MiB = 1024 * 1024;

describe('training on images (real Redis, an in-process worker, the API through inject)', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker;
  let fashion: ArchiveFile[];
  const sets: Record<'all' | 'low' | 'high' | 'three' | 'skewed', Dataset> = {} as never;
  let lowModel: string;
  let tensorsBefore: number;

  /** The fixture's images of `labels`, the first `perClass` (one count, or one per label) of each. */
  const pick = (labels: string[], perClass: number | number[] = 30) =>
    labels.flatMap((label, i) =>
      fashion
        .filter((file) => file.name.startsWith(`${label}/`))
        .slice(0, typeof perClass === 'number' ? perClass : perClass[i]),
    );
  const uploadImages = async (name: string, files: ArchiveFile[], query = '') => {
    const response = await fastify.inject({
      method: 'POST',
      url: `/v1/datasets?name=${name}${query}`,
      headers: { 'content-type': 'application/zip' },
      payload: zipOf(files),
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<Dataset>();
  };
  const submit = (request: JobRequest) =>
    fastify.inject({ method: 'POST', url: '/v1/jobs', payload: request });
  const run = async (request: JobRequest) => {
    const response = await submit(request);
    assert.equal(response.statusCode, 201, response.body);
    const job = await waitForJob(fastify, response.json<JobView>().id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    return job;
  };
  const recordOf = async (id: string) => (await fastify.models.get(TENANT, id))!;
  const eventsOf = async (id: string) =>
    (await fastify.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json<{ items: JobEvent[] }>().items;
  const resultOf = async (id: string) => (await fastify.trainingQueue.getJob(id))!.returnvalue;
  before(async () => {
    // Prediction chunks of the 224-pixel base sized to a small budget, as a modest machine would have it.
    env = await createTestEnv('image-training', {
      JOB_MAX_ACTIVATION_BYTES: 256 * MiB,
      // Training runs in this process, beside the API: its long batches are not the load the API sheds.
      MAX_EVENT_LOOP_DELAY_MS: 60_000,
    });
    fastify = await buildApp(env.config);
    worker = await startWorker(env.config);
    fashion = await fashionImages();
    sets.all = await uploadImages('fashion', fashion);
    sets.low = await uploadImages('low', pick(LOW));
    sets.high = await uploadImages('high', pick(HIGH));
    sets.three = await uploadImages('three', pick(['ankle-boot', 'bag', 't-shirt-top'], 24));
    sets.skewed = await uploadImages('skewed', pick(['ankle-boot', 'pullover', 'shirt'], [30, 6, 6]));
    tensorsBefore = tf.memory().numTensors;
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await env?.cleanup();
  });

  it('trains a CNN from scratch on Fashion-MNIST PNGs, stores its pixel scaling, and serves raw pixels with it', async () => {
    const job = await run({
      dataset: sets.all.id,
      architecture: CNN,
      hyperparameters: { epochs: 10, learningRate: 0.003 },
      seed: 1,
    });
    const record = await recordOf(job.modelId!);
    assert.ok(
      (record.evaluation as Evaluation).accuracy > 0.6,
      `held-out accuracy ${(record.evaluation as Evaluation).accuracy}`,
    );
    assert.equal(record.evaluation!.rows, 60);
    assert.deepEqual(record.inputShape, [28, 28, 1]);
    // Pixels scaled, not standardized per feature: the model's preprocessing says so and serving applies it.
    assert.deepEqual(record.preprocessing, { pixels: FROM_SCRATCH_PIXELS });
    const images = await fastify.datasets.loadImages(TENANT, sets.all.id);
    const rows = [0, 45, 120, 299].map((row) =>
      Array.from(images.pixels.subarray(row * 784, (row + 1) * 784)),
    );
    const response = await fastify.inject({
      method: 'POST',
      url: `/v1/models/${record.id}/predict`,
      payload: { instances: rows, topK: 10 },
    });
    assert.equal(response.statusCode, 200, response.body);
    const served = response.json<{ predictions: Array<{ top: Array<{ label: string; score: number }> }> }>();
    const model = await fastify.models.load(TENANT, record.id);
    try {
      const expected = tf.tidy(
        () => model.predict(tf.tensor(rows.flat(), [rows.length, 28, 28, 1]).div(255)) as tf.Tensor,
      );
      const scores = (await expected.array()) as number[][];
      expected.dispose();
      served.predictions.forEach((prediction, i) => {
        for (const { label, score } of prediction.top) {
          assert.ok(Math.abs(score - scores[i]![record.labels!.indexOf(label)]!) < 1e-4, `row ${i} ${label}`);
        }
      });
    } finally {
      model.dispose();
    }
  });

  it('transfers a CNN trained on five classes to the other five: features once, the head, then fine-tuning', async () => {
    const base = await run({
      dataset: sets.low.id,
      architecture: CNN,
      hyperparameters: { epochs: 10, learningRate: 0.003 },
      seed: 1,
    });
    lowModel = base.modelId!;
    const job = await run({
      dataset: sets.high.id,
      baseModel: lowModel,
      hyperparameters: {
        epochs: 10,
        learningRate: 0.003,
        fineTune: { epochs: 2, unfreeze: 2, learningRate: 1e-4 },
      },
      seed: 2,
    });
    assert.deepEqual(
      job.history.map((row) => row.phase),
      [...new Array<string>(10).fill('head'), 'fine-tune', 'fine-tune'],
    );
    const record = await recordOf(job.modelId!);
    assert.ok(
      (record.evaluation as Evaluation).accuracy > 0.6,
      `held-out accuracy ${(record.evaluation as Evaluation).accuracy}`,
    );
    assert.deepEqual(record.labels, HIGH);
    // The base's own pixel scaling, which its frozen layers were trained on, goes with the new model.
    assert.deepEqual(record.preprocessing, (await recordOf(lowModel)).preprocessing);
    assert.equal((await resultOf(job.id)).featureCaching, true);
    const events = await eventsOf(job.id);
    const firstEpoch = events.findIndex((event) => event.type === 'epoch');
    const features = events.findIndex(
      (event) => event.type === 'progress' && event.data.phase === 'features',
    );
    assert.ok(features >= 0 && features < firstEpoch, 'the features phase reports before the first epoch');
  });

  it('transfers the real MobileNet v2 (uploaded, uint8-quantized): Fashion-MNIST upsampled to 224×224×3', async () => {
    const base = await postModel(fastify, unwrappedUpload(mobileNetV2NoTop(), 'mobilenet v2, no top'));
    assert.equal(base.format, 'layers-model');
    assert.deepEqual(base.inputShape, [224, 224, 3]);
    assert.deepEqual(base.preprocessing, { pixels: MOBILENET_PIXELS });
    assert.equal(base.defaultCutLayer, MOBILENET_CUT);
    assert.deepEqual(base.layers.at(-1)!.outputShape, [null, 7, 7, 1280]);

    const job = await run({
      dataset: sets.three.id,
      baseModel: base.id,
      hyperparameters: { epochs: 8, learningRate: 0.003 },
      seed: 3,
    });
    const record = await recordOf(job.modelId!);
    // Three classes: chance is a third.
    assert.ok(
      (record.evaluation as Evaluation).accuracy > 0.5,
      `held-out accuracy ${(record.evaluation as Evaluation).accuracy}`,
    );
    assert.deepEqual(record.inputShape, [224, 224, 3]);
    assert.deepEqual(record.preprocessing, { pixels: MOBILENET_PIXELS });
    assert.equal((await resultOf(job.id)).featureCaching, true);
    const events = await eventsOf(job.id);
    const firstEpoch = events.findIndex((event) => event.type === 'epoch');
    const features = events.filter((event) => event.type === 'progress' && event.data.phase === 'features');
    assert.ok(features.length > 0, 'the features phase reports progress');
    assert.ok(events.indexOf(features.at(-1)!) < firstEpoch, 'features are computed before the first epoch');
    assert.ok(features.some((event) => typeof event.data.etaSeconds === 'number'));
  });

  it('classWeight "balanced" on skewed folders: the job weights its loss, with the same seed otherwise the same', async () => {
    const request: JobRequest = {
      dataset: sets.skewed.id,
      architecture: SMALL_CNN,
      hyperparameters: { epochs: 3 },
      seed: 5,
    };
    const [plain, weighted] = [await run(request), await run({ ...request, classWeight: 'balanced' })];
    assert.equal(weighted.spec.classWeight, 'balanced');
    assert.equal(plain.spec.classWeight, null);
    // 24, 5 and 5 training rows: the two small classes weigh 34 / 15 each, the large one 34 / 72.
    assert.notEqual(weighted.history[0]!.loss, plain.history[0]!.loss);
  });

  it('refuses at submission what cannot train: a 4xx naming the field', async () => {
    const digits = await uploadCsv(fastify, digitsCsv({ labels: ['0', '1'], perClass: 10 }), 'digits');
    const rgb = await uploadImages('rgb', pick(['bag', 'coat'], 4), '&channels=3');
    const mlp = smallMlp(64, 2);
    const rows = await postModel(fastify, modelUpload(await saveModel(mlp)));
    mlp.dispose();
    const stored = async (fields: Partial<ModelRecord>) => {
      const record = modelRecord({
        id: newId('mdl'),
        name: 'stored directly',
        source: 'upload',
        inputShape: [224, 224, 3],
        labels: null,
        layers: [],
        defaultCutLayer: null,
        files: [],
        sizeBytes: 0,
        ...fields,
      });
      await fastify.models.create(TENANT, record, new Map());
      return record.id;
    };
    const graph = await stored({ format: 'graph-model' });
    const standardized = await stored({
      inputShape: [28, 28, 1],
      preprocessing: {
        standardize: { mean: new Array<number>(784).fill(0), std: new Array<number>(784).fill(1) },
      },
    });
    const cases: Array<[JobRequest, number, string, string]> = [
      [
        { dataset: digits.id, architecture: SMALL_CNN, augmentation: { flip: 'horizontal' } },
        422,
        'not_an_image_dataset',
        '/augmentation',
      ],
      [{ dataset: sets.high.id, baseModel: rows.id }, 422, 'shape_mismatch', '/baseModel'],
      [{ dataset: rgb.id, architecture: SMALL_CNN }, 422, 'shape_mismatch', '/architecture/inputShape'],
      [
        { dataset: sets.three.id, baseModel: graph, hyperparameters: { fineTune: { epochs: 1 } } },
        422,
        'invalid_job',
        '/hyperparameters/fineTune',
      ],
      [{ dataset: sets.three.id, baseModel: standardized }, 422, 'unsupported_model', '/baseModel'],
      [
        { dataset: sets.three.id, architecture: SMALL_CNN, classWeight: { boot: 2 } },
        422,
        'unknown_labels',
        '/classWeight',
      ],
      [
        { dataset: sets.three.id, architecture: SMALL_CNN, augmentation: { shift: 0.5 } },
        400,
        'validation_failed',
        '/body/augmentation/shift',
      ],
    ];
    for (const [request, status, code, field] of cases) {
      const problem = assertProblem(await submit(request), status, code);
      assert.equal(problem.field, field, problem.detail);
    }
  });

  it('every tensor the jobs and runs made is released', () => {
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });
});

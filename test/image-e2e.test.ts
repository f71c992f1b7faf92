import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobView } from '../src/jobs/job-service.js';
import type { ModelJson, ModelRecord } from '../src/models/model-store.js';
import { createTestEnv, TEST_AUTHORIZATION, type TestEnv } from './helpers/env.js';
import { startFileServer, type FileServer } from './helpers/file-server.js';
import { apiClient, finishedJob, type ApiClient } from './helpers/http.js';
import { MOBILENET_PIXELS, mobileNetV2NoTop } from './helpers/mobilenet-base.js';
import { assertSameScores, photoSplit, predictPhotos, uploadPhotos } from './helpers/photo-jobs.js';
import { listen } from './helpers/processes.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';

const CLASSES = ['sandal', 'trouser'];
const PER_CLASS = 12;

describe('a zip of photo folders and a MobileNet URL: three requests to a model that predicts a photo and loads in TF.js', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let api: ApiClient;
  let worker: InProcessWorker;
  let files: FileServer;

  before(async () => {
    // The real MobileNet v2 (no top) published at a URL, as on a model hub; its files carry no metadata of ours.
    const mobilenet = mobileNetV2NoTop();
    const published = { ...mobilenet.modelJson, userDefinedMetadata: undefined } as ModelJson;
    files = await startFileServer();
    files.serveFolder(
      'models/mobilenet_v2',
      new Map([...mobilenet.files, ['model.json', Buffer.from(JSON.stringify(published))]]),
    );
    env = await createTestEnv('image-e2e', {
      MODEL_IMPORT_ALLOW_PRIVATE: 'true',
      MAX_EVENT_LOOP_DELAY_MS: 60_000,
    });
    ({ server, base } = await listen(env.config));
    api = apiClient(base);
    worker = await startWorker(env.config);
  });

  after(async () => {
    await worker?.close();
    await server?.close();
    await files?.close();
    await env?.cleanup();
  });

  it('uploads, imports, trains; predicts an uploaded photo; a TF.js program loads the model and agrees', async () => {
    const { training, heldOut } = await photoSplit(CLASSES, PER_CLASS);

    // 1. The photos, one folder per class.
    const dataset = await uploadPhotos(base, training, 'clothes');
    assert.deepEqual([dataset.kind, dataset.labels, dataset.rows], ['image', CLASSES, 2 * PER_CLASS]);

    // 2. The base, from its URL, with the preprocessing it was trained with.
    const mobilenet = await api.ok<ModelRecord>('POST', '/v1/models/import', {
      url: `${files.base}/models/mobilenet_v2/model.json`,
      preprocessing: MOBILENET_PIXELS,
    });
    assert.deepEqual(mobilenet.inputShape, [224, 224, 3]);

    // 3. The job: the recipe's defaults (frozen base, pooled features, a Dense head).
    const submitted = await api.ok<JobView>('POST', '/v1/jobs', {
      dataset: dataset.id,
      baseModel: mobilenet.id,
      hyperparameters: { epochs: 8, learningRate: 0.001 },
      seed: 11,
    });
    const job = await finishedJob(api, submitted.id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    const model = await api.ok<ModelRecord>('GET', `/v1/models/${job.modelId}`);
    assert.deepEqual(model.inputShape, [224, 224, 3]);
    assert.deepEqual(model.preprocessing, { pixels: MOBILENET_PIXELS });

    // A photo it never saw, sent as it is.
    const served = await predictPhotos(base, model.id, heldOut);

    // The model as any TF.js program loads it, given the same pixels: the same scores.
    const client = await tf.loadLayersModel(`${base}/v1/models/${model.id}/model.json`, {
      requestInit: { headers: { authorization: TEST_AUTHORIZATION } },
    });
    try {
      const scoresOf = (input: tf.Tensor) => client.predict(input) as tf.Tensor;
      await assertSameScores(heldOut, served, { classes: CLASSES, pixels: MOBILENET_PIXELS, scoresOf });
    } finally {
      client.dispose();
    }
    const right = served.filter((prediction, i) => prediction.label === CLASSES[i]).length;
    console.log(
      `images end to end: ${job.metrics.val_accuracy} validation accuracy; held-out photos ${right}/${heldOut.length} right; ${served.map((p) => `${p.label} ${p.score.toFixed(3)}`).join(', ')}`,
    );
  });
});

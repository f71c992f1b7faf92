import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobView } from '../src/jobs/job-service.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { createTestEnv, TEST_AUTHORIZATION, type TestEnv } from './helpers/env.js';
import { startFileServer, type FileServer } from './helpers/file-server.js';
import { apiClient, finishedJob, type ApiClient } from './helpers/http.js';
import { MOBILENET_PIXELS } from './helpers/mobilenet-base.js';
import { nsfwjsModel } from './helpers/nsfwjs-models.js';
import { ChainedModel, graphBaseModel, headOf } from '../src/models/graph-base.js';
import { buildTransferModel, disposeModels, SeedSequence } from '../src/training/model.js';
import { tinyGraphModel } from './helpers/graph-model.js';
import { multipartBody } from './helpers/multipart.js';
import { assertSameScores, photoSplit, predictPhotos, uploadPhotos } from './helpers/photo-jobs.js';
import { listen } from './helpers/processes.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';

const CLASSES = ['sandal', 'trouser'];
const PER_CLASS = 10;

describe('a job on a GraphModel base: the head trains on its features, is stored beside it, served and loaded chained', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let api: ApiClient;
  let worker: InProcessWorker;
  let files: FileServer;

  before(async () => {
    // The real MobileNet v2 GraphModel the nsfwjs package ships (5 class scores out), published at a URL.
    files = await startFileServer();
    files.serveFolder('models/graph', nsfwjsModel('mobilenet_v2_mid').files);
    env = await createTestEnv('graph-base', {
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

  it('trains, predicts a photo, and a TF.js program chaining the two downloads agrees', async () => {
    const { training, heldOut } = await photoSplit(CLASSES, PER_CLASS);
    const dataset = await uploadPhotos(base, training, 'clothes');
    const graph = await api.ok<ModelRecord>('POST', '/v1/models/import', {
      url: `${files.base}/models/graph/model.json`,
      preprocessing: MOBILENET_PIXELS,
    });
    assert.equal(graph.format, 'graph-model');

    const submitted = await api.ok<JobView>('POST', '/v1/jobs', {
      dataset: dataset.id,
      baseModel: graph.id,
      hyperparameters: { epochs: 6, learningRate: 0.01 },
      seed: 5,
    });
    const job = await finishedJob(api, submitted.id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    const model = await api.ok<ModelRecord>('GET', `/v1/models/${job.modelId}`);
    assert.deepEqual(model.inputShape, [224, 224, 3]);
    assert.deepEqual(model.preprocessing, { pixels: MOBILENET_PIXELS });
    assert.deepEqual(model.graphBase, { modelJson: 'base.model.json', featureShape: [5] });
    assert.ok(model.files.includes('base.model.json'), model.files.join(', '));
    assert.equal(model.lineage.baseModelId, graph.id);
    assert.ok(job.history.length === 6 && job.metrics.val_accuracy !== null, JSON.stringify(job.metrics));

    const served = await predictPhotos(base, model.id, heldOut);

    // The two parts as a TF.js program loads them from the service: the base, then the head on its output.
    const requestInit = { headers: { authorization: TEST_AUTHORIZATION } };
    const folder = `${base}/v1/models/${model.id}`;
    const graphBase = await tf.loadGraphModel(`${folder}/base.model.json`, { requestInit });
    const head = await tf.loadLayersModel(`${folder}/model.json`, { requestInit });
    try {
      const scoresOf = (input: tf.Tensor) => head.predict(graphBase.predict(input) as tf.Tensor) as tf.Tensor;
      await assertSameScores(heldOut, served, { classes: CLASSES, pixels: MOBILENET_PIXELS, scoresOf });
    } finally {
      head.dispose();
      graphBase.dispose();
    }

    // A model stored as a base and a head is not a base itself: its base is.
    const refused = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: TEST_AUTHORIZATION, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: dataset.id, baseModel: model.id }),
    });
    const problem = (await refused.json()) as { code: string; field: string; detail: string };
    assert.equal(refused.status, 422, JSON.stringify(problem));
    assert.deepEqual([problem.code, problem.field], ['unsupported_model', '/baseModel']);
    assert.match(problem.detail, new RegExp(graph.id));
    // Nor is its head, uploaded again alone: it takes the base's output.
    const download = async (file: string) =>
      Buffer.from(await (await fetch(`${folder}/${file}`, requestInit)).arrayBuffer());
    const upload = multipartBody([
      { name: 'model', filename: 'model.json', data: await download('model.json') },
      { name: 'weights', filename: 'weights.bin', data: await download('weights.bin') },
    ]);
    const reupload = await fetch(`${base}/v1/models`, {
      method: 'POST',
      headers: { authorization: TEST_AUTHORIZATION, 'content-type': upload.contentType },
      body: upload.payload,
    });
    const headProblem = (await reupload.json()) as { code: string; field: string };
    assert.equal(reupload.status, 422, JSON.stringify(headProblem));
    assert.deepEqual(
      [headProblem.code, headProblem.field],
      ['unsupported_model', 'userDefinedMetadata.finetuned.graphBase'],
    );
    console.log(
      `graph base: validation accuracy ${job.metrics.val_accuracy}; held out ${served.map((p) => `${p.label} ${p.score.toFixed(3)}`).join(', ')}`,
    );
  });

  it('builds the base, the head and the chained model from a graph, and frees every tensor', async () => {
    const tiny = tinyGraphModel(8, 4);
    const weights = tiny.files.get('group1-shard1of1.bin')!;
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: tiny.modelJson.modelTopology,
      format: 'graph-model',
      weightSpecs: tiny.modelJson.weightsManifest[0]!.weights,
      weightData: weights.buffer.slice(
        weights.byteOffset,
        weights.byteOffset + weights.byteLength,
      ) as ArrayBuffer,
    };
    const baseline = tf.memory().numTensors;
    const graph = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    const baseModel = graphBaseModel(graph, [8]);
    const transfer = buildTransferModel(
      baseModel,
      { cutLayer: 'features', freeze: 'all', head: { hiddenUnits: [3], dropout: 0 } },
      2,
      new SeedSequence(1),
    );
    const head = headOf(transfer.model);
    assert.deepEqual(head.inputs[0]!.shape, [null, 4]);
    const x = tf.randomUniform([5, 8], 0, 1, 'float32', 3);
    const whole = transfer.model.predict(x) as tf.Tensor;
    const chained = new ChainedModel(await tf.loadGraphModel(tf.io.fromMemory(artifacts)), head);
    const parts = chained.predict(x);
    const gap = tf.tidy(() => whole.sub(parts).abs().max().dataSync()[0]!);
    assert.ok(gap < 1e-6, `chained and whole differ by ${gap}`);
    tf.dispose([x, whole, parts]);
    chained.dispose();
    disposeModels(transfer.model, transfer.head, baseModel);
    graph.dispose();
    assert.equal(tf.memory().numTensors, baseline);
  });
});

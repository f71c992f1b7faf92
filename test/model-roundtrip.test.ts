import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobView } from '../src/jobs/job-service.js';
import { ModelProbe } from '../src/models/model-probe.js';
import type { ModelJson, ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { multipartBody } from './helpers/multipart.js';
import { modelUpload, postModel, saveModel, smallCnn } from './helpers/tf-model.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

describe('models that TF.js saved come back in as they went out', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker | undefined;

  before(async () => {
    env = await createTestEnv('model-roundtrip', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await env?.cleanup();
  });

  const get = async (url: string) => {
    const response = await fastify.inject({ method: 'GET', url });
    assert.equal(response.statusCode, 200, response.body);
    return response;
  };

  const upload = ({ payload, contentType }: { payload: Buffer; contentType: string }) =>
    fastify.inject({ method: 'POST', url: '/v1/models', headers: { 'content-type': contentType }, payload });

  /** Downloads a stored model's model.json and weight files, and uploads them again as a new model. */
  const uploadAgain = async (id: string) => {
    const json = (await get(`/v1/models/${id}/model.json`)).json<ModelJson>();
    const files = json.weightsManifest.flatMap((group) => group.paths);
    const weights = await Promise.all(
      files.map(async (file) => (await get(`/v1/models/${id}/${file}`)).rawPayload),
    );
    return upload(
      multipartBody([
        { name: 'model', filename: 'model.json', data: JSON.stringify(json) },
        ...files.map((file, i) => ({ name: 'weights', filename: file, data: weights[i]! })),
      ]),
    );
  };

  it('a transfer job’s model (the base cut, a new head) downloaded and uploaded again is a 201', async () => {
    const cnn = smallCnn();
    const saved = await saveModel(cnn);
    cnn.dispose();
    const base = await postModel(
      fastify,
      modelUpload(saved, [{ name: 'labels', data: JSON.stringify(DIGITS) }]),
    );
    const dataset = await fastify.inject({
      method: 'POST',
      url: '/v1/datasets?name=digits',
      headers: { 'content-type': 'text/csv' },
      payload: digitsCsv({ perClass: 4 }),
    });
    assert.equal(dataset.statusCode, 201, dataset.body);
    const submitted = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        dataset: dataset.json<{ id: string }>().id,
        baseModel: base.id,
        transfer: { head: { hiddenUnits: [8] } },
        hyperparameters: { epochs: 1 },
      },
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    worker = await startWorker(env.config);
    const job: JobView = await waitForJob(fastify, submitted.json<JobView>().id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));

    const again = await uploadAgain(job.modelId!);
    assert.equal(again.statusCode, 201, again.body);
    const record = again.json<ModelRecord>();
    assert.deepEqual(record.inputShape, [8, 8, 1]);
    const trained = (await get(`/v1/models/${job.modelId}`)).json<ModelRecord>();
    assert.deepEqual(
      record.layers.map((layer) => layer.name),
      trained.layers.map((layer) => layer.name),
    );
  });

  it('a tf.sequential nested inside a tf.model, saved with tf.io.withSaveHandler, is a 201', async () => {
    const inner = tf.sequential({
      name: 'seq',
      layers: [
        tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu', name: 'dense' }),
        tf.layers.dense({ units: 5, name: 'dense2' }),
      ],
    });
    const input = tf.input({ shape: [4], name: 'in' });
    const head = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' });
    const model = tf.model({ inputs: input, outputs: head.apply(inner.apply(input)) as tf.SymbolicTensor });
    const saved = await saveModel(model);
    model.dispose();
    const record = await postModel(fastify, modelUpload(saved));
    assert.deepEqual(record.inputShape, [4]);
    const again = await uploadAgain(record.id);
    assert.equal(again.statusCode, 201, again.body);
  });

  it('a value nested deeper than the bound anywhere in model.json is refused naming model.json, not a 500', async () => {
    const cnn = smallCnn();
    const saved = await saveModel(cnn);
    cnn.dispose();
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const [group] = saved.json.weightsManifest;
    const [first, ...rest] = group!.weights;
    const weights = [{ ...first!, extra: 'DEEP' }, ...rest];
    const json = JSON.stringify({ ...saved.json, weightsManifest: [{ ...group!, weights }] }).replace(
      '"DEEP"',
      deep,
    );
    const problem = assertProblem(await upload(modelUpload(saved, [], json)), 400, 'invalid_model');
    assert.equal(problem.file, 'model.json');
    assert.match(
      problem.detail,
      /^model\.json nests deeper than 64 levels at weightsManifest\[0\]\.weights\[0\]\.extra/,
    );
  });

  it('the probe is a service of the app', () => {
    assert.ok(fastify.modelProbe instanceof ModelProbe);
  });
});

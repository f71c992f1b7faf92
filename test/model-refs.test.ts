import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobView } from '../src/jobs/job-service.js';
import type { ModelJson, ModelRecord } from '../src/models/model-store.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, TEST_AUTHORIZATION, type TestEnv } from './helpers/env.js';
import { apiClient, finishedJob, type ApiClient } from './helpers/http.js';
import { multipartBody } from './helpers/multipart.js';
import { listen } from './helpers/processes.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';

interface Problem {
  code: string;
  detail: string;
  field?: string;
}

describe('a model comes back whole, and an alias names it wherever an id does', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let api: ApiClient;
  let worker: InProcessWorker;
  let trained: ModelRecord;
  const rows = digitRows().slice(0, 500);

  /** model.json and its weight files, as a client downloads them. */
  const download = async (ref: string) => {
    const json = await api.ok<ModelJson>('GET', `/v1/models/${ref}/model.json`);
    const paths = json.weightsManifest.flatMap((group) => group.paths);
    const weights = await Promise.all(
      paths.map(async (path) => {
        const response = await fetch(`${base}/v1/models/${ref}/${path}`, {
          headers: { authorization: TEST_AUTHORIZATION },
        });
        assert.equal(response.status, 200);
        return Buffer.from(await response.arrayBuffer());
      }),
    );
    return { json, paths, weights };
  };
  const upload = async (json: ModelJson, paths: string[], weights: Buffer[]) => {
    const { payload, contentType } = multipartBody([
      { name: 'model', filename: 'model.json', data: JSON.stringify(json) },
      ...paths.map((path, i) => ({ name: 'weights', filename: path, data: weights[i]! })),
    ]);
    const response = await fetch(`${base}/v1/models`, {
      method: 'POST',
      headers: { authorization: TEST_AUTHORIZATION, 'content-type': contentType },
      body: payload,
    });
    return { status: response.status, body: (await response.json()) as ModelRecord & Problem };
  };
  const accuracy = async (ref: string) => {
    const { predictions } = await api.ok<{ predictions: Array<{ label: string }> }>(
      'POST',
      `/v1/models/${ref}/predict`,
      { instances: rows.map((row) => row.pixels) },
    );
    return predictions.filter((p, i) => p.label === rows[i]!.label).length / rows.length;
  };

  before(async () => {
    env = await createTestEnv('model-refs', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    ({ server, base } = await listen(env.config));
    api = apiClient(base);
    worker = await startWorker(env.config);
    const dataset = await api.ok<{ id: string }>('POST', '/v1/datasets?name=digits', digitsCsv(), 'text/csv');
    const { id } = await api.ok<JobView>('POST', '/v1/jobs', {
      dataset: dataset.id,
      architecture: { type: 'mlp', hiddenUnits: [64] },
      hyperparameters: { epochs: 8, learningRate: 0.01 },
      seed: 5,
    });
    const job = await finishedJob(api, id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    trained = await api.ok<ModelRecord>('GET', `/v1/models/${job.modelId}`);
  });

  after(async () => {
    await worker?.close();
    await server?.close();
    await env?.cleanup();
  });

  it('downloaded and uploaded again, a trained model keeps its labels and standardization, and predicts the same', async () => {
    assert.ok(trained.preprocessing?.standardize, 'the digits model standardizes its inputs');
    const { json, paths, weights } = await download(trained.id);
    const again = await upload(json, paths, weights);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.deepEqual(again.body.labels, trained.labels);
    assert.deepEqual(again.body.preprocessing, trained.preprocessing);
    const [before_, after_] = [await accuracy(trained.id), await accuracy(again.body.id)];
    assert.ok(before_ > 0.9, `accuracy ${before_}`);
    assert.equal(after_, before_, 'the same accuracy on 500 digit rows');
    console.log(`re-upload: accuracy on 500 digit rows ${before_} trained, ${after_} uploaded again`);

    // Labels given with the upload win over the ones model.json carries.
    const relabelled = multipartBody([
      { name: 'model', filename: 'model.json', data: JSON.stringify(json) },
      ...paths.map((path, i) => ({ name: 'weights', filename: path, data: weights[i]! })),
      { name: 'labels', data: JSON.stringify(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) },
    ]);
    const response = await fetch(`${base}/v1/models`, {
      method: 'POST',
      headers: { authorization: TEST_AUTHORIZATION, 'content-type': relabelled.contentType },
      body: relabelled.payload,
    });
    assert.equal(response.status, 201);
    assert.equal(((await response.json()) as ModelRecord).labels?.[0], 'a');
  });

  it('metadata that does not fit the model is a 400 naming the field', async () => {
    const { json, paths, weights } = await download(trained.id);
    const metadata = json.userDefinedMetadata!.finetuned as {
      preprocessing: { standardize: { mean: number[] } };
    };
    metadata.preprocessing.standardize.mean = [1, 2, 3];
    const short = await upload(json, paths, weights);
    assert.equal(short.status, 400, JSON.stringify(short.body));
    assert.equal(short.body.field, 'userDefinedMetadata.finetuned.preprocessing.standardize.mean');

    (json.userDefinedMetadata!.finetuned as { labels: unknown }).labels = 'not a list';
    const bad = await upload(json, paths, weights);
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.field, 'userDefinedMetadata.finetuned.labels');
  });

  it('an alias names the record, the files (a TF.js client loads through it) and a base model', async () => {
    await api.ok('PUT', '/v1/aliases/digits-prod', { modelId: trained.id });
    assert.equal((await api.ok<ModelRecord>('GET', '/v1/models/digits-prod')).id, trained.id);
    const json = await api.ok<ModelJson>('GET', '/v1/models/digits-prod/model.json');
    assert.deepEqual(json.weightsManifest[0]!.paths, [`../${trained.id}/weights.bin`]);

    const model = await tf.loadLayersModel(`${base}/v1/models/digits-prod/model.json`, {
      requestInit: { headers: { authorization: TEST_AUTHORIZATION } },
    });
    try {
      assert.deepEqual(model.inputs[0]!.shape, [null, ...trained.inputShape]);
    } finally {
      model.dispose();
    }

    const dataset = await api.ok<{ id: string }>(
      'POST',
      '/v1/datasets?name=digits-small',
      digitsCsv({ perClass: 10 }),
      'text/csv',
    );
    const job = await api.ok<JobView>('POST', '/v1/jobs', {
      dataset: dataset.id,
      baseModel: 'digits-prod',
      hyperparameters: { epochs: 1 },
    });
    assert.equal(job.spec.baseModel, trained.id, 'the alias is resolved when the job is submitted');
    assert.equal((await finishedJob(api, job.id)).status, 'succeeded');
  });

  it('a mistyped model id is a missing model everywhere, never a missing alias or a 400', async () => {
    for (const typo of ['mdl_123', `${trained.id.slice(0, -1)}x`]) {
      for (const [method, url, body] of [
        ['GET', `/v1/models/${typo}`],
        ['GET', `/v1/models/${typo}/model.json`],
        ['DELETE', `/v1/models/${typo}`],
        ['POST', `/v1/models/${typo}/predict`, { instances: [rows[0]!.pixels] }],
      ] as const) {
        const response = await api.call<Problem>(method, url, body);
        assert.deepEqual([response.status, response.body.code], [404, 'model_not_found'], `${method} ${url}`);
      }
    }
    const dataset = await api.ok<{ id: string }>(
      'POST',
      '/v1/datasets?name=d',
      digitsCsv({ perClass: 3 }),
      'text/csv',
    );
    const job = await api.call<Problem>('POST', '/v1/jobs', { dataset: dataset.id, baseModel: 'mdl_123' });
    assert.deepEqual([job.status, job.body.code], [404, 'model_not_found']);
    const alias = await api.call<Problem>('GET', '/v1/models/no-such-alias');
    assert.deepEqual([alias.status, alias.body.code], [404, 'alias_not_found']);
  });
});

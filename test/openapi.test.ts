import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import createClient from 'openapi-fetch';
import { renderTypes, typesDifferences } from '../scripts/openapi-types.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, TEST_KEY, type TestEnv } from './helpers/env.js';
import { listen, waitFor } from './helpers/processes.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';
import type { paths } from '../src/client/openapi.js';

const LABELS = ['0', '1', '2'];
const ALIAS = 'openapi-digits';
const MISSING_JOB = 'job_01hzzzzzzzzzzzzzzzzzzzzzzz';
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

describe('the OpenAPI document, through a client generated from it', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let worker: InProcessWorker;

  before(async () => {
    env = await createTestEnv('openapi', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    // No key is added for the client: it must send its own.
    ({ server, base } = await listen(env.config, { credentials: false }));
    worker = await startWorker(env.config);
  });

  after(async () => {
    await worker?.close();
    await server?.close();
    await env?.cleanup();
  });

  it('generates exactly the committed types: openapi.d.ts and each file under src/client/openapi/', async () => {
    const response = await fetch(`${base}/docs/json`);
    assert.equal(response.status, 200);
    const differences = await typesDifferences(await renderTypes(await response.text()));
    assert.ok(
      differences.length === 0,
      `the types no longer match /docs/json (${differences.join('; ')}): run \`npm run openapi:types\``,
    );
  });

  it('takes a dataset through training, an alias and a prediction', async () => {
    const client = createClient<paths>({ baseUrl: base, headers: { authorization: `Bearer ${TEST_KEY}` } });

    const uploaded = await client.POST('/v1/datasets', {
      params: { query: { name: 'openapi digits' } },
      headers: { 'content-type': 'text/csv' },
      // The document gives the upload's body in each media type it takes: the CSV goes as it is.
      body: digitsCsv({ labels: LABELS, perClass: 10 }),
      bodySerializer: (body: string) => body,
    });
    assert.equal(uploaded.response.status, 201, JSON.stringify(uploaded.error));
    assert.ok(uploaded.data);
    const dataset = uploaded.data;
    assert.equal(dataset.format, 'csv');
    assert.equal(dataset.rows, 30);
    assert.deepEqual(dataset.labels, LABELS);
    assert.deepEqual(dataset.featureShape, [64]);

    const submitted = await client.POST('/v1/jobs', {
      body: {
        dataset: dataset.id,
        name: 'openapi mlp',
        architecture: { type: 'mlp', hiddenUnits: [8] },
        hyperparameters: { epochs: 2, batchSize: 8 },
        seed: 1,
      },
    });
    assert.equal(submitted.response.status, 201, JSON.stringify(submitted.error));
    assert.ok(submitted.data);
    const { id } = submitted.data;
    assert.equal(submitted.response.headers.get('location'), `/v1/jobs/${id}`);

    const job = await waitFor(
      `job ${id} to finish`,
      async () => {
        const { data, error } = await client.GET('/v1/jobs/{id}', { params: { path: { id } } });
        assert.ok(data, JSON.stringify(error));
        return FINISHED.has(data.status) ? data : undefined;
      },
      15_000,
    );
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    assert.equal(job.history.length, 2);
    assert.equal(typeof job.metrics.loss, 'number');
    assert.ok(job.modelId);
    const modelId = job.modelId;

    const model = await client.GET('/v1/models/{id}', { params: { path: { id: modelId } } });
    assert.ok(model.data, JSON.stringify(model.error));
    assert.equal(model.data.source, 'job');
    assert.deepEqual(model.data.labels, LABELS);
    assert.deepEqual(model.data.inputShape, [64]);
    assert.equal(model.data.lineage.jobId, id);
    assert.equal(model.data.lineage.datasetId, dataset.id);

    const alias = await client.PUT('/v1/aliases/{name}', {
      params: { path: { name: ALIAS } },
      body: { modelId },
    });
    assert.equal(alias.response.status, 201, JSON.stringify(alias.error));
    assert.ok(alias.data);
    assert.equal(alias.data.modelId, modelId);
    assert.equal(alias.data.previousModelId, null);

    const rows = digitRows({ labels: LABELS, perClass: 1 });
    const predicted = await client.POST('/v1/models/{idOrAlias}/predict', {
      params: { path: { idOrAlias: ALIAS } },
      body: { instances: rows.map((row) => row.pixels), topK: 2 },
    });
    assert.ok(predicted.data, JSON.stringify(predicted.error));
    assert.equal(predicted.data.modelId, modelId);
    assert.equal(predicted.data.predictions.length, rows.length);
    for (const prediction of predicted.data.predictions) {
      // A classification's predictions are labels; a regression's are values.
      assert.ok('label' in prediction, JSON.stringify(prediction));
      assert.ok(LABELS.includes(prediction.label));
      assert.equal(prediction.top.length, 2);
      assert.equal(prediction.top[0]?.label, prediction.label);
    }

    const events = await client.GET('/v1/jobs/{id}/events', {
      params: { path: { id }, query: { after: '0', limit: 1000 } },
      headers: { accept: 'application/json' },
    });
    assert.ok(events.data, JSON.stringify(events.error));
    assert.equal(events.data.ended, true);
    assert.equal(events.data.items.filter((event) => event.type === 'epoch').length, 2);
    const last = events.data.items.at(-1);
    assert.equal(last?.type, 'status');
    assert.equal(last.data.status, 'succeeded');

    const listed = await client.GET('/v1/jobs', { params: { query: { status: 'succeeded', limit: 10 } } });
    assert.ok(listed.data, JSON.stringify(listed.error));
    assert.deepEqual(
      listed.data.items.map((item) => item.id),
      [id],
    );
    assert.equal(listed.data.nextCursor, null);
  });

  it('answers a missing job with a 404 problem, and a request without a key with a 401', async () => {
    const client = createClient<paths>({ baseUrl: base, headers: { authorization: `Bearer ${TEST_KEY}` } });
    const missing = await client.GET('/v1/jobs/{id}', { params: { path: { id: MISSING_JOB } } });
    assert.equal(missing.response.status, 404);
    assert.match(missing.response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.ok(missing.error);
    assert.equal(missing.error.status, 404);
    assert.equal(missing.error.code, 'job_not_found');
    assert.equal(missing.error.type, 'https://finetuned.dev/problems/job_not_found');
    assert.equal(missing.error.jobId, MISSING_JOB);

    const anonymous = createClient<paths>({ baseUrl: base });
    const refused = await anonymous.GET('/v1/jobs', { params: { query: { limit: 1 } } });
    assert.equal(refused.response.status, 401);
    assert.equal(refused.response.headers.get('www-authenticate'), 'Bearer realm="finetuned"');
    assert.ok(refused.error);
    assert.equal(refused.error.code, 'unauthorized');
    assert.equal(refused.data, undefined);
  });
});

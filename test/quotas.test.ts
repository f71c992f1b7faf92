import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, testKeys, type TestEnv } from './helpers/env.js';
import { freePort } from './helpers/processes.js';
import { startWorker, waitForJob } from './helpers/worker.js';

const OTHER_KEY = 'ft_quota-test-key-of-another-tenant';

describe('per-tenant quotas', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  // Two digits per class: some 2.6 KB of CSV.
  const csv = digitsCsv({ perClass: 2 });
  const csvBytes = Buffer.byteLength(csv);

  before(async () => {
    env = await createTestEnv('quotas', {
      TENANT_MAX_ACTIVE_JOBS: 2,
      // Room for two such datasets exactly.
      TENANT_MAX_STORED_BYTES: csvBytes * 2,
      API_KEYS: testKeys([{ id: 'other', key: OTHER_KEY, tenant: 'other', scopes: ['admin'] }]),
    });
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  const upload = (authorization?: string) =>
    fastify.inject({
      method: 'POST',
      url: '/v1/datasets?name=quota',
      headers: { 'content-type': 'text/csv', ...(authorization ? { authorization } : {}) },
      payload: csv,
    });
  const submit = (dataset: string) =>
    fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        dataset,
        architecture: { type: 'mlp', hiddenUnits: [4] },
        hyperparameters: { epochs: 1 },
      },
    });

  let first: string;

  it('storage: an upload past TENANT_MAX_STORED_BYTES is a 413 naming the quota and the use', async () => {
    const a = await upload();
    assert.equal(a.statusCode, 201, a.body);
    first = a.json<{ id: string }>().id;
    assert.equal((await upload()).statusCode, 201);

    const problem = assertProblem(await upload(), 413, 'quota_exceeded');
    assert.equal(problem.quota, 'stored_bytes');
    assert.equal(problem.limit, csvBytes * 2);
    assert.equal(problem.current, csvBytes * 2);
    assert.match(problem.detail, /TENANT_MAX_STORED_BYTES/);

    // Another tenant has its own quota.
    assert.equal((await upload(`Bearer ${OTHER_KEY}`)).statusCode, 201);
  });

  it('storage: deleting frees it again', async () => {
    const second = (await fastify.inject({ method: 'GET', url: '/v1/datasets?limit=10' })).json<{
      items: Array<{ id: string }>;
    }>().items[0]!.id;
    assert.equal((await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${second}` })).statusCode, 204);
    assert.equal((await upload()).statusCode, 201);
  });

  it('training is refused while storage is full: its model could not be stored', async () => {
    assertProblem(await submit(first), 413, 'quota_exceeded');
    const { items } = (await fastify.inject({ method: 'GET', url: '/v1/datasets?limit=10' })).json<{
      items: Array<{ id: string }>;
    }>();
    for (const { id } of items.filter(({ id }) => id !== first))
      assert.equal((await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${id}` })).statusCode, 204);
  });

  it('jobs: past TENANT_MAX_ACTIVE_JOBS queued or running a submission is a 429; an ended job frees its place', async () => {
    const a = await submit(first);
    assert.equal(a.statusCode, 201, a.body);
    assert.equal((await submit(first)).statusCode, 201);

    const problem = assertProblem(await submit(first), 429, 'quota_exceeded');
    assert.equal(problem.quota, 'active_jobs');
    assert.equal(problem.limit, 2);
    assert.equal(problem.current, 2);
    assert.match(problem.detail, /2 jobs queued or running/);

    // Cancelled while queued, the job ends at once and no longer counts.
    const cancel = await fastify.inject({
      method: 'POST',
      url: `/v1/jobs/${a.json<{ id: string }>().id}/cancel`,
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal((await submit(first)).statusCode, 201);
    assertProblem(await submit(first), 429, 'quota_exceeded');
  });

  it("a trained model counts against its tenant's storage; the worker counts the jobs on its /metrics and is healthy", async () => {
    const before = await fastify.quotas.usage('default');
    const metricsPort = await freePort();
    const worker = await startWorker({ ...env.config, WORKER_METRICS_PORT: metricsPort });
    try {
      // The two jobs of the previous test that were not cancelled: the worker trains them.
      const { items } = (await fastify.inject({ method: 'GET', url: '/v1/jobs' })).json<{
        items: Array<{ id: string; status: string }>;
      }>();
      const trained = items.filter((job) => job.status !== 'cancelled');
      assert.equal(trained.length, 2);
      let modelBytes = 0;
      for (const { id } of trained) {
        const job = await waitForJob(fastify, id);
        assert.equal(job.status, 'succeeded');
        const model = await fastify.inject({ method: 'GET', url: `/v1/models/${job.modelId}` });
        modelBytes += model.json<{ sizeBytes: number }>().sizeBytes;
      }
      assert.ok(modelBytes > 0);
      const after = await fastify.quotas.usage('default');
      assert.equal(after.storedBytes, before.storedBytes + modelBytes);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(metrics, /^finetuned_jobs_total\{outcome="succeeded"\} 2$/m);
      assert.match(metrics, /^finetuned_job_duration_seconds_count\{outcome="succeeded"\} 2$/m);
      // The same port answers the container health check.
      const health = await fetch(`http://127.0.0.1:${metricsPort}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
    } finally {
      await worker.close();
    }
  });
});

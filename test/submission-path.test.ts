import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobView } from '../src/jobs/job-view.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';

/** More of a tenant's jobs than the queue position looks up one by one: it reads the wait list instead. */
const MANY = 60;

describe('job submission: cached dataset records and queue positions', () => {
  let env: TestEnv;
  // Two API instances on one Redis and one data directory.
  let one: FastifyInstance;
  let other: FastifyInstance;

  before(async () => {
    env = await createTestEnv('submission-path', { TENANT_MAX_ACTIVE_JOBS: MANY + 10 });
    one = await buildApp(env.config);
    other = await buildApp(env.config);
  });

  after(async () => {
    await one?.close();
    await other?.close();
    await env?.cleanup();
  });

  const upload = async (on: FastifyInstance) => {
    const response = await on.inject({
      method: 'POST',
      url: '/v1/datasets?name=digits',
      headers: { 'content-type': 'text/csv' },
      payload: digitsCsv({ labels: ['0', '1'], perClass: 3 }),
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<Dataset>();
  };
  const submit = (on: FastifyInstance, dataset: string) =>
    on.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { dataset, architecture: { type: 'mlp', hiddenUnits: [4] }, hyperparameters: { epochs: 1 } },
    });
  const cancel = async (on: FastifyInstance, id: string) =>
    assert.equal((await on.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` })).statusCode, 200);
  const position = async (id: string) =>
    (await one.inject({ method: 'GET', url: `/v1/jobs/${id}` })).json<JobView>().queuePosition;

  it('refuses a dataset deleted here, whose record this instance had read', async () => {
    const dataset = await upload(one);
    await cancel(one, (await submit(one, dataset.id)).json<JobView>().id);
    assert.equal((await one.inject({ method: 'DELETE', url: `/v1/datasets/${dataset.id}` })).statusCode, 204);
    assertProblem(await submit(one, dataset.id), 404, 'dataset_not_found');
  });

  it('refuses a dataset another instance deleted, whose record this instance still has', async () => {
    const dataset = await upload(one);
    const first = (await submit(one, dataset.id)).json<JobView>();
    await cancel(one, first.id);
    assert.equal(
      (await other.inject({ method: 'DELETE', url: `/v1/datasets/${dataset.id}` })).statusCode,
      204,
    );
    assertProblem(await submit(one, dataset.id), 404, 'dataset_not_found');
    // Reads that answer a client never come from what submission keeps.
    assert.equal((await one.inject({ method: 'GET', url: `/v1/datasets/${dataset.id}` })).statusCode, 404);
  });

  it('never accepts a job on a dataset deleted at the same time, whichever goes first', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 60; round++) {
      const dataset = await upload(one);
      // The delete starts a few turns of the event loop after the submission: at each point of its way.
      const later = async () => {
        for (let i = 0; i < round % 8; i++) await new Promise((resolve) => setImmediate(resolve));
        return one.inject({ method: 'DELETE', url: `/v1/datasets/${dataset.id}` });
      };
      const [submitted, deleted] = await Promise.all([submit(one, dataset.id), later()]);
      outcomes.add(`${submitted.statusCode}/${deleted.statusCode}`);
      if (submitted.statusCode === 201) await cancel(one, submitted.json<JobView>().id);
    }
    assert.deepEqual(
      [...outcomes].filter((o) => o !== '201/409' && o !== '404/204'),
      [],
      [...outcomes].join(' '),
    );
  });

  it(`gives ${MANY} queued jobs of a tenant the positions 1 to ${MANY}, at submission and when read`, async () => {
    const dataset = await upload(one);
    const submitted: JobView[] = [];
    for (let i = 0; i < MANY; i++) {
      const response = await submit(i % 2 ? one : other, dataset.id);
      assert.equal(response.statusCode, 201, response.body);
      submitted.push(response.json<JobView>());
    }
    assert.deepEqual(
      submitted.map((job) => job.queuePosition),
      submitted.map((_, i) => i + 1),
    );
    const ids = submitted.map((job) => job.id);
    assert.deepEqual(await Promise.all([0, 1, 29, MANY - 1].map((i) => position(ids[i]!))), [1, 2, 30, MANY]);
    // Once the first goes, every other moves up one, and a new job comes last.
    await cancel(one, ids[0]!);
    assert.deepEqual(await Promise.all([1, MANY - 1].map((i) => position(ids[i]!))), [1, MANY - 1]);
    const last = (await submit(one, dataset.id)).json<JobView>();
    assert.equal(last.queuePosition, MANY);
    assert.equal(await position(last.id), MANY);
    for (const id of [...ids.slice(1), last.id]) await cancel(one, id);
  });
});

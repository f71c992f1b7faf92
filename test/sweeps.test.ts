import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { JobView } from '../src/jobs/job-service.js';
import { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { JobRetention } from '../src/jobs/job-retention.js';
import {
  QUEUES,
  type SweepPayload,
  type SweepResultValue,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { openStore } from '../src/store/open-store.js';
import { SweepRetention } from '../src/sweeps/sweep-retention.js';
import type { SweepView } from '../src/sweeps/sweep-view.js';
import { sweepEventId, type WebhookPayload } from '../src/webhooks/webhook-events.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, keysUnder, type TestEnv } from './helpers/env.js';
import { waitFor } from './helpers/processes.js';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

describe('sweeps through the API, with a worker in this process', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker | undefined;
  let receiver: WebhookReceiver;
  let digits: Dataset;

  const post = (url: string, payload?: object) => fastify.inject({ method: 'POST', url, payload });
  const get = async <T>(url: string) => {
    const response = await fastify.inject({ method: 'GET', url });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<T>();
  };
  const ended = (id: string) =>
    waitFor(
      `sweep ${id} to end`,
      async () => {
        const view = await get<SweepView>(`/v1/sweeps/${id}`);
        return ENDED.has(view.status) ? view : undefined;
      },
      240_000,
    );
  const events = async (id: string) =>
    (await get<{ items: JobEvent[] }>(`/v1/sweeps/${id}/events?limit=1000`)).items;
  /** A grid over three learning rates of a tiny MLP, one trial at a time, every trial run to its end. */
  const gridSweep = (name: string, extra: object = {}) => ({
    name,
    job: {
      dataset: digits.id,
      architecture: { type: 'mlp', hiddenUnits: [8] },
      hyperparameters: { epochs: 3, batchSize: 16 },
      seed: 1,
    },
    space: { learningRate: { values: [0.03, 0.003, 0.0003] } },
    method: 'grid',
    parallel: 1,
    earlyStopping: { rule: 'none' },
    ...extra,
  });

  before(async () => {
    env = await createTestEnv('sweeps', { MAX_EVENT_LOOP_DELAY_MS: 60_000, WEBHOOK_ALLOW_PRIVATE: 'true' });
    receiver = await startReceiver(() => ({ status: 204 }));
    fastify = await buildApp(env.config);
    // 100 rows: 80 to train on, 20 held out to compare trials by.
    digits = await uploadCsv(fastify, digitsCsv({ perClass: 10 }), 'digits');
    const hook = await post('/v1/webhooks', { url: receiver.url('/sweeps'), events: ['sweep.succeeded'] });
    assert.equal(hook.statusCode, 201, hook.body);
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await receiver?.close();
    await env?.cleanup();
  });

  let cancelled: SweepView;
  let succeeded: SweepView;

  it('cancelling a sweep whose trials are queued cancels them all; it ends cancelled once its end is processed', async () => {
    const submitted = await post('/v1/sweeps', gridSweep('cancelled grid', { alias: 'cancelled-best' }));
    assert.equal(submitted.statusCode, 201, submitted.body);
    const id = submitted.json<SweepView>().id;
    assert.equal(submitted.headers.location, `/v1/sweeps/${id}`);

    // No worker yet: every trial is still queued, and is cancelled at once.
    const cancel = await post(`/v1/sweeps/${id}/cancel`);
    assert.equal(cancel.statusCode, 202, cancel.body);
    assert.deepEqual(
      cancel.json<SweepView>().trials.map((trial) => trial.status),
      ['cancelled', 'cancelled', 'cancelled'],
    );
    worker = await startWorker(env.config);
    cancelled = await ended(id);
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(cancelled.finishedAt, 'a cancelled sweep has finishedAt');
    assert.equal(cancelled.best, null);
    assert.equal(cancelled.aliasMoved, false);
    assert.equal(cancelled.counts.cancelled, 3);
    assertProblem(
      await fastify.inject({ method: 'GET', url: '/v1/aliases/cancelled-best' }),
      404,
      'alias_not_found',
    );
    for (const trial of cancelled.trials)
      assert.equal((await get<JobView>(`/v1/jobs/${trial.jobId}`)).status, 'cancelled');
    const statuses = (await events(id)).filter((e) => e.type === 'status').map((e) => e.data.status);
    assert.deepEqual(statuses, ['queued', 'cancelled']);

    const again = await post(`/v1/sweeps/${id}/cancel`);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json<SweepView>().status, 'cancelled');
  });

  it('a small grid runs to succeeded and picks the trial with the best validation accuracy', async () => {
    const submitted = await post('/v1/sweeps', gridSweep('digits grid'));
    assert.equal(submitted.statusCode, 201, submitted.body);
    const queued = submitted.json<SweepView>();
    assert.equal(queued.status, 'queued');
    assert.equal(queued.metric, 'val_accuracy');
    assert.equal(queued.goal, 'max');

    succeeded = await ended(queued.id);
    assert.equal(succeeded.status, 'succeeded', JSON.stringify(succeeded.trials));
    // An ended sweep says when it ended, from the moment it shows its end.
    assert.ok(succeeded.finishedAt, 'a succeeded sweep has finishedAt');
    assert.deepEqual(
      succeeded.trials.map((trial) => [trial.status, trial.epochs]),
      [
        ['succeeded', 3],
        ['succeeded', 3],
        ['succeeded', 3],
      ],
    );
    const values = succeeded.trials.map((trial) => trial.value!);
    const bestValue = Math.max(...values);
    // The lower trial wins a tie.
    const winner = succeeded.trials[values.indexOf(bestValue)]!;
    assert.deepEqual(succeeded.best, {
      trial: winner.trial,
      jobId: winner.jobId,
      modelId: winner.modelId,
      value: bestValue,
      settings: winner.settings,
    });

    const { stoppedEarly, ...byStatus } = succeeded.counts;
    assert.equal(stoppedEarly, 0);
    assert.equal(byStatus.succeeded, 3);
    assert.equal(
      Object.values(byStatus).reduce((a, b) => a + b, 0),
      succeeded.trials.length,
    );

    for (const trial of succeeded.trials) {
      const job = await get<JobView>(`/v1/jobs/${trial.jobId}`);
      assert.equal(job.name, `digits grid, trial ${trial.trial}`);
      assert.deepEqual(job.spec.metadata, { sweep: succeeded.id, trial: String(trial.trial) });
      assert.equal(job.metrics.val_accuracy, trial.value);
      assert.equal(job.modelId, trial.modelId);
    }
  });

  it("tells the sweep's story in its events page: queued, running, each trial's start and end, succeeded", async () => {
    const log = await events(succeeded.id);
    const statuses = log.filter((e) => e.type === 'status').map((e) => e.data.status);
    assert.deepEqual(statuses, ['queued', 'running', 'succeeded']);
    const trialEvents = log.filter((e) => e.type === 'trial');
    for (const trial of succeeded.trials) {
      const own = trialEvents.filter((e) => e.data.jobId === trial.jobId).map((e) => e.data.status);
      assert.deepEqual(own, ['running', 'succeeded'], `trial ${trial.trial}`);
    }
    const end = log.at(-1)!;
    assert.equal(end.data.status, 'succeeded');
    assert.deepEqual(end.data.best, succeeded.best);
  });

  it('lists sweeps newest first, paged by limit and cursor', async () => {
    const first = await get<{ items: SweepView[]; nextCursor: string | null }>('/v1/sweeps?limit=1');
    assert.deepEqual(
      first.items.map((sweep) => sweep.id),
      [succeeded.id],
    );
    assert.equal(first.items[0]!.status, 'succeeded');
    assert.equal(first.nextCursor, succeeded.id);
    const second = await get<{ items: SweepView[]; nextCursor: string | null }>(
      `/v1/sweeps?limit=1&cursor=${first.nextCursor}`,
    );
    assert.deepEqual(
      second.items.map((sweep) => sweep.id),
      [cancelled.id],
    );
    assert.equal(second.nextCursor, null);
    const all = await get<{ items: SweepView[] }>('/v1/sweeps');
    assert.deepEqual(
      all.items.map((sweep) => sweep.id),
      [succeeded.id, cancelled.id],
    );
  });

  it('announces the end to an endpoint subscribed to sweep.succeeded, once, with the sweep as its data', async () => {
    const eventId = sweepEventId(succeeded.id);
    await receiver.until('the sweep.succeeded delivery', () => receiver.withId(eventId).length > 0);
    const [delivery, ...more] = receiver.withId(eventId);
    assert.equal(more.length, 0);
    const { type, data } = JSON.parse(delivery!.body) as WebhookPayload;
    assert.equal(type, 'sweep.succeeded');
    const sweep = data as SweepView;
    assert.equal(sweep.id, succeeded.id);
    assert.equal(sweep.status, 'succeeded');
    assert.deepEqual(sweep.best, succeeded.best);
    assert.deepEqual(sweep.counts, succeeded.counts);
    // The cancelled sweep's end was not subscribed to.
    assert.deepEqual(receiver.withId(sweepEventId(cancelled.id)), []);
    assert.equal(receiver.received.length, 1);
  });

  it('cancelling a sweep that succeeded is 409 sweep_finished', async () => {
    const problem = assertProblem(await post(`/v1/sweeps/${succeeded.id}/cancel`), 409, 'sweep_finished');
    assert.match(problem.detail, /has already succeeded/);
    assert.equal((await get<SweepView>(`/v1/sweeps/${succeeded.id}`)).status, 'succeeded');
  });

  it('an Idempotency-Key makes a retried submission the same sweep, and the key with another body a 422', async () => {
    const body = gridSweep('retried grid');
    const send = (payload: object) =>
      fastify.inject({
        method: 'POST',
        url: '/v1/sweeps',
        payload,
        headers: { 'idempotency-key': 'sweep-1' },
      });
    const first = await send(body);
    assert.equal(first.statusCode, 201, first.body);
    const again = await send(body);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const sweep = first.json<SweepView>();
    assert.equal(again.json<SweepView>().id, sweep.id);
    assertProblem(await send({ ...body, name: 'another grid' }), 422, 'idempotency_key_reused');
    const all = await get<{ items: SweepView[] }>('/v1/sweeps');
    assert.equal(all.items.filter((item) => item.name === 'retried grid').length, 1);
    // Its trials are not left running behind the test.
    assert.equal((await post(`/v1/sweeps/${sweep.id}/cancel`)).statusCode < 300, true);
    await ended(sweep.id);
  });

  it('past their retention, ended sweeps go after their trials: a 404, out of the list, no key of theirs left', async () => {
    const ids = (await get<{ items: SweepView[] }>('/v1/sweeps')).items.map((sweep) => sweep.id);
    assert.ok(ids.length >= 3 && ids.includes(succeeded.id) && ids.includes(cancelled.id));
    const training = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
      connection: env.redis,
      prefix: env.prefix,
    });
    const sweeps = new Queue<SweepPayload, SweepResultValue>(QUEUES.sweeps, {
      connection: env.redis,
      prefix: env.prefix,
    });
    after(() => Promise.all([training.close(), sweeps.close()]));
    const past = { redis: env.redis, prefix: env.prefix, retentionMs: 1000 };
    const later = Date.now() + 24 * 3600 * 1000;
    const sweepRetention = new SweepRetention({ queue: sweeps, ...past });
    // While their trials are there, the sweeps stay.
    assert.equal(await sweepRetention.sweep(later), 0);
    assert.equal((await get<SweepView>(`/v1/sweeps/${succeeded.id}`)).status, 'succeeded');
    const checkpoints = new CheckpointStore(openStore(env.config), 2);
    const jobs = new JobRetention({ queue: training, checkpoints, ...past });
    assert.ok((await jobs.sweep(later))! >= 9, 'the trials of the three sweeps');
    assert.equal(await sweepRetention.sweep(later), ids.length);
    for (const id of ids)
      assertProblem(await fastify.inject({ url: `/v1/sweeps/${id}` }), 404, 'sweep_not_found');
    assert.deepEqual((await get<{ items: SweepView[] }>('/v1/sweeps')).items, []);
    const left = (await keysUnder(env.redis, env.prefix)).filter((key) => ids.some((id) => key.includes(id)));
    assert.deepEqual(left, []);
  });
});

import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobLifecycle } from '../src/jobs/job-lifecycle.js';
import type { JobView } from '../src/jobs/job-view.js';
import { announceJobs, deliveryQueue } from '../src/webhooks/job-webhooks.js';
import type { WebhookPayload } from '../src/webhooks/webhook-events.js';
import { WebhookFanout, type DeliveryQueue } from '../src/webhooks/webhook-fanout.js';
import { WebhookStore, type WebhookWithSecret } from '../src/webhooks/webhook-store.js';
import { buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { waitFor } from './helpers/processes.js';
import { startReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/** A process as far as webhooks go: its own connection, job lifecycle and fan-out onto the delivery queue. */
function startProcess(env: TestEnv) {
  const connection = env.redis.duplicate();
  const lifecycle = new JobLifecycle(connection, env.prefix);
  const queue = deliveryQueue(env.config, connection);
  const fanout = new WebhookFanout(new WebhookStore(connection, env.prefix), queue);
  announceJobs(lifecycle, fanout, {
    readJob: async (_tenant, id) => ({ id, status: 'running' }) as JobView,
    readModel: async () => undefined,
  });
  const close = async () => {
    await queue.close();
    connection.disconnect();
  };
  return { lifecycle, fanout, queue, close };
}

describe('one delivery per event and endpoint', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let receiver: WebhookReceiver;
  let processes: Array<ReturnType<typeof startProcess>>;
  let endpoint: WebhookWithSecret;

  /** Waits until no delivery is waiting, retrying or being sent: every one made has been answered. */
  const settled = (queue: DeliveryQueue) =>
    waitFor('the delivery queue to settle', async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0) ? true : undefined;
    });
  const eventsFor = (jobId: string) =>
    receiver.received.filter((r) => ((JSON.parse(r.body) as WebhookPayload).data as JobView).id === jobId);

  before(async () => {
    env = await createTestEnv('webhook-once', { WEBHOOK_ALLOW_PRIVATE: 'true', JOB_RETELL_AFTER_MS: 300 });
    receiver = await startReceiver(() => ({ status: 204 }));
    fastify = await buildApp(env.config);
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: receiver.url('/ok'), events: ['job.failed', 'job.cancelled', 'model.created'] },
    });
    assert.equal(response.statusCode, 201, response.body);
    endpoint = response.json<WebhookWithSecret>();
    processes = [startProcess(env), startProcess(env)];
  });

  after(async () => {
    for (const started of processes ?? []) await started.close();
    await fastify?.close();
    await receiver?.close();
    await env?.cleanup();
  });

  it('a job that two processes end at once is announced by the one whose end was written, once', async () => {
    const [api, worker] = processes as [ReturnType<typeof startProcess>, ReturnType<typeof startProcess>];
    const ids = Array.from({ length: 10 }, (_, i) => `job_once_${i}`);
    for (const id of ids) {
      const job = { id, tenant: 'default' };
      await api.lifecycle.transition(job, 'queued');
      await worker.lifecycle.transition(job, 'running');
      const outcomes = await Promise.all([
        api.lifecycle.transition(job, 'cancelled'),
        worker.lifecycle.transition(job, 'failed', { error: { code: 'training_failed', message: 'x' } }),
      ]);
      assert.equal(outcomes.filter((outcome) => outcome === 'moved').length, 1);
    }
    await receiver.until('a delivery for each job', () => ids.every((id) => eventsFor(id).length > 0));
    await settled(api.queue);
    for (const id of ids) {
      const [delivered, ...more] = eventsFor(id);
      assert.equal(more.length, 0, `${id}: one delivery`);
      const { type, data } = JSON.parse(delivered!.body) as WebhookPayload;
      assert.equal((data as JobView).status, type.slice('job.'.length), `${id}: its data is the end written`);
    }
  });

  it('the same event announced again, even by two processes at the same moment, is one delivery', async () => {
    const [a, b] = processes as [ReturnType<typeof startProcess>, ReturnType<typeof startProcess>];
    const event = {
      id: 'msg_announced-twice',
      type: 'model.created' as const,
      timestamp: new Date().toISOString(),
    };
    const data = async () => ({ id: 'mdl_twice' });
    const [first, second] = await Promise.all([
      a.fanout.publish('default', event, data),
      b.fanout.publish('default', event, data),
    ]);
    assert.deepEqual(first, second, 'the same delivery id');
    await receiver.until('the delivery', () => receiver.withId(event.id).length > 0);
    // Once more after it was delivered: still the same delivery, not sent again.
    assert.deepEqual(await a.fanout.publish('default', event, data), first);
    await settled(a.queue);
    assert.equal(receiver.withId(event.id).length, 1);
    const kept = await a.queue.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed']);
    assert.equal(kept.filter((job) => job.data.eventId === event.id).length, 1);
    assert.equal(kept.find((job) => job.data.eventId === event.id)?.data.webhookId, endpoint.id);
  });

  it('a status change whose process died before telling anyone is announced later by the API, once', async () => {
    const dataset = await uploadCsv(fastify, digitsCsv({ perClass: 3 }), 'digits');
    const submitted = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { dataset: dataset.id, architecture: { type: 'mlp', hiddenUnits: [4] } },
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const { id } = submitted.json<JobView>();
    // A process that writes the job's end and dies before its listeners have run: they never finish.
    const connection = env.redis.duplicate();
    const dying = new JobLifecycle(connection, env.prefix);
    dying.onStatus(() => new Promise<void>(() => {}));
    void dying.transition({ id, tenant: 'default' }, 'cancelled', {
      message: 'cancelled by a process that died',
    });
    try {
      await receiver.until('the API to announce it', () => eventsFor(id).length > 0, 30_000);
      await waitFor('no status change left untold', async () =>
        (await env.redis.zcard(`${env.prefix}:jobs:untold`)) === 0 ? true : undefined,
      );
      const [delivered, ...more] = eventsFor(id);
      assert.equal(more.length, 0);
      const { type, data } = JSON.parse(delivered!.body) as WebhookPayload;
      assert.deepEqual([type, (data as JobView).status], ['job.cancelled', 'cancelled']);
    } finally {
      connection.disconnect();
    }
  });
});

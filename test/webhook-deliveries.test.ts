import { UnrecoverableError, type Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook as Verifier } from 'standardwebhooks';
import type { JobView } from '../src/jobs/job-service.js';
import type { ModelRecord } from '../src/models/model-store.js';
import type { WebhookDeliveryPayload } from '../src/queue/catalogue.js';
import { QUICK_MS, TenantSlots } from '../src/webhooks/tenant-slots.js';
import { createDeliveryProcessor } from '../src/webhooks/webhook-delivery.js';
import type { WebhookPayload } from '../src/webhooks/webhook-events.js';
import { deliveryId } from '../src/webhooks/webhook-fanout.js';
import { webhookMetrics } from '../src/webhooks/webhook-metrics.js';
import type { DeliveryAttempt, WebhookWithSecret } from '../src/webhooks/webhook-store.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { modelUpload, postModel, saveModel, smallMlp } from './helpers/tf-model.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { waitFor } from './helpers/processes.js';
import { startReceiver, type Received, type WebhookReceiver } from './helpers/webhook-receiver.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

describe('webhook deliveries to a real receiver', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let receiver: WebhookReceiver;
  let worker: InProcessWorker | undefined;

  const register = async (path: string, events: string[]) => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: receiver.url(path), events },
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<WebhookWithSecret>();
  };
  const attemptsOf = async (webhookId: string) => {
    const response = await fastify.inject({ method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ items: DeliveryAttempt[] }>().items;
  };
  /** The payload of a request, verified with the endpoint's secret by the standardwebhooks package. */
  const verified = (secret: string, request: Received) =>
    new Verifier(secret).verify(request.body, request.headers) as WebhookPayload;
  const ofType = (type: string, path: string) =>
    receiver.received.filter((r) => r.path === path && (JSON.parse(r.body) as WebhookPayload).type === type);

  before(async () => {
    env = await createTestEnv('webhook-deliveries', {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_BACKOFF_MS: 100,
      WEBHOOK_RETRY_SPAN_MS: 3_000,
      WEBHOOK_TIMEOUT_MS: 5_000,
    });
    receiver = await startReceiver((request, sameIdBefore) => {
      if (request.path === '/flaky') return { status: sameIdBefore === 0 ? 500 : 200, body: 'not yet' };
      if (request.path === '/redirect')
        return { status: 302, headers: { location: receiver.url('/landing') } };
      return { status: 204 };
    });
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await receiver?.close();
    await env?.cleanup();
  });

  let flaky: WebhookWithSecret;
  let succeeded: Received[];

  it("a job's run and success reach the receiver signed; a 500 is retried with the same webhook-id", async () => {
    flaky = await register('/flaky', ['job.running', 'job.succeeded', 'model.created']);
    const dataset = await uploadCsv(fastify, digitsCsv({ perClass: 10 }), 'digits');
    const submitted = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        dataset: dataset.id,
        validation: { split: 0 },
        architecture: { type: 'mlp', hiddenUnits: [8] },
        hyperparameters: { epochs: 1, batchSize: 32 },
        seed: 1,
      },
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    worker = await startWorker(env.config);
    const job = await waitForJob(fastify, submitted.json<JobView>().id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));

    await receiver.until('each event delivered after its 500', () =>
      ['job.running', 'job.succeeded', 'model.created'].every((type) => ofType(type, '/flaky').length >= 2),
    );
    succeeded = ofType('job.succeeded', '/flaky');
    assert.equal(succeeded.length, 2, 'one retry after the 500, then nothing more');
    const [first, retry] = succeeded as [Received, Received];
    assert.match(first.headers['webhook-id']!, /^msg_[A-Za-z0-9_-]{27}$/);
    assert.equal(retry.headers['webhook-id'], first.headers['webhook-id']);
    assert.match(first.headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]+=*$/);
    assert.equal(first.headers['content-type'], 'application/json');
    for (const request of [first, retry]) assert.equal(verified(flaky.secret, request).type, 'job.succeeded');
    assert.throws(() => verified(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, retry), /signature/i);

    // The data is the job as the REST API shows it (the end's time is the transition's, just before BullMQ's).
    const payload = verified(flaky.secret, retry);
    const { finishedAt, ...data } = payload.data as JobView;
    const { finishedAt: shownFinishedAt, ...shown } = job;
    assert.deepEqual(data, shown);
    assert.ok(Date.parse(finishedAt!) <= Date.parse(shownFinishedAt!));
    assert.equal(payload.timestamp, finishedAt);

    const running = verified(flaky.secret, ofType('job.running', '/flaky')[0]!);
    assert.deepEqual([(running.data as JobView).id, (running.data as JobView).status], [job.id, 'running']);
    const model = await fastify.inject({ method: 'GET', url: `/v1/models/${job.modelId}` });
    const created = verified(flaky.secret, ofType('model.created', '/flaky')[1]!);
    assert.deepEqual(created.data, model.json<ModelRecord>());
  });

  it('shows each attempt: status, latency, error; newest first', async () => {
    const id = succeeded[0]!.headers['webhook-id']!;
    const attempts = (await attemptsOf(flaky.id)).filter((a) => a.eventId === id);
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.outcome, a.statusCode, a.retrying, a.eventType]),
      [
        [2, 'delivered', 200, false, 'job.succeeded'],
        [1, 'failed', 500, true, 'job.succeeded'],
      ],
    );
    assert.equal(attempts[1]!.error, 'HTTP 500: not yet');
    assert.equal(attempts[0]!.error, null);
    assert.equal(attempts[0]!.deliveryId, deliveryId(id, flaky.id));
    for (const attempt of attempts) assert.ok(attempt.latencyMs >= 0 && Number.isFinite(attempt.latencyMs));
  });

  it('sends a delivery again on request, with the same webhook-id and body', async () => {
    const id = succeeded[0]!.headers['webhook-id']!;
    const response = await fastify.inject({
      method: 'POST',
      url: `/v1/webhooks/${flaky.id}/deliveries/${deliveryId(id, flaky.id)}/redeliver`,
    });
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(response.json<{ status: string }>().status, 'requeued');
    await receiver.until('the delivery sent again', () => receiver.withId(id).length === 3);
    assert.equal(receiver.withId(id)[2]!.body, succeeded[0]!.body);
    await waitFor('the attempt logged', async () =>
      (await attemptsOf(flaky.id))[0]?.attempt === 3 ? true : undefined,
    );
    assertProblem(
      await fastify.inject({
        method: 'POST',
        url: `/v1/webhooks/${flaky.id}/deliveries/dlv_0123456789abcdef0123456789abcdef/redeliver`,
      }),
      404,
      'delivery_not_found',
    );
  });

  it('follows no redirect: a 3xx is a failed attempt, and where it points is never reached', async () => {
    const redirecting = await register('/redirect', ['job.cancelled']);
    const event = {
      id: 'msg_redirect-test',
      type: 'job.cancelled' as const,
      timestamp: new Date().toISOString(),
    };
    await fastify.webhooks.fanout.publish('default', event, async () => ({ id: 'job_x' }));
    const attempts = await waitFor('two attempts', async () => {
      const logged = await attemptsOf(redirecting.id);
      return logged.length >= 2 ? logged : undefined;
    });
    for (const attempt of attempts) {
      assert.equal(attempt.statusCode, 302);
      assert.equal(attempt.error, 'HTTP 302: redirects are not followed');
    }
    assert.equal(receiver.received.filter((r) => r.path === '/landing').length, 0);
    // Disabled: its remaining retries are dropped.
    await fastify.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${redirecting.id}`,
      payload: { enabled: false },
    });
  });

  it('announces an uploaded model as model.created, with the model as the API shows it', async () => {
    const endpoint = await register('/ok', ['model.created']);
    const record = await postModel(fastify, modelUpload(await saveModel(smallMlp(4))));
    await receiver.until('the upload announced', () => ofType('model.created', '/ok').length > 0);
    const [request, ...more] = ofType('model.created', '/ok');
    assert.equal(more.length, 0);
    const payload = verified(endpoint.secret, request!);
    assert.deepEqual(payload.data, record);
    assert.equal(payload.timestamp, record.createdAt);
  });

  it('checks the target again at delivery time: a private one is refused there unless allowed, never retried', async () => {
    const endpoint = await register('/never', ['job.failed']);
    const deliver = createDeliveryProcessor({
      store: fastify.webhooks.store,
      metrics: webhookMetrics(),
      allowPrivate: false,
      timeoutMs: 1_000,
    });
    const data: WebhookDeliveryPayload = {
      tenant: 'default',
      webhookId: endpoint.id,
      eventId: 'msg_refused-test',
      eventType: 'job.failed',
      timestamp: new Date().toISOString(),
      body: '{}',
    };
    const job = { id: deliveryId(data.eventId, endpoint.id), data, attemptsMade: 0, opts: { attempts: 5 } };
    await assert.rejects(deliver(job as Job<WebhookDeliveryPayload>), UnrecoverableError);
    const [attempt] = await attemptsOf(endpoint.id);
    assert.deepEqual([attempt!.outcome, attempt!.statusCode, attempt!.retrying], ['refused', null, false]);
    assert.match(attempt!.error!, /127\.0\.0\.1.* not a public address/);
    assert.equal(receiver.received.filter((r) => r.path === '/never').length, 0);
  });

  it('counts attempts by outcome and the lag from event to delivery in /metrics', async () => {
    const text = (await fastify.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /^finetuned_webhook_attempts_total\{outcome="delivered"\} [1-9]/m);
    assert.match(text, /^finetuned_webhook_attempts_total\{outcome="failed"\} [1-9]/m);
    assert.match(text, /^finetuned_webhook_attempt_duration_seconds_count\{outcome="delivered"\} [1-9]/m);
    assert.match(text, /^finetuned_webhook_delivery_lag_seconds_count [1-9]/m);
  });

  it("a tenant whose endpoints hang never holds every slot: another tenant's delivery goes out meanwhile", async () => {
    // A receiver that never answers: each attempt to it holds a delivery slot until WEBHOOK_TIMEOUT_MS.
    const requests = new Set<http.IncomingMessage>();
    const hanging = http.createServer((request) => requests.add(request));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const { port } = hanging.address() as AddressInfo;
    const slow: string[] = [];
    try {
      // More deliveries than this process has slots (WEBHOOK_CONCURRENCY, 8).
      for (let i = 0; i < 12; i++) {
        const url = `http://127.0.0.1:${port}/hang/${i}`;
        const response = await fastify.inject({
          method: 'POST',
          url: '/v1/webhooks',
          payload: { url, events: ['job.cancelled'] },
        });
        slow.push(response.json<WebhookWithSecret>().id);
      }
      const event = { type: 'job.cancelled' as const, timestamp: new Date().toISOString() };
      await fastify.webhooks.fanout.publish('default', { id: 'msg_hang-test', ...event }, async () => ({}));
      await waitFor('the hanging endpoints to hold slots', async () =>
        requests.size >= 6 ? true : undefined,
      );

      const globex = await fastify.webhooks.store.create(
        'globex',
        { url: receiver.url('/globex'), events: ['job.failed'] },
        1,
      );
      const failed = { id: 'msg_globex-test', type: 'job.failed' as const, timestamp: event.timestamp };
      await fastify.webhooks.fanout.publish('globex', failed, async () => ({ id: 'job_globex' }));
      await receiver.until("globex's delivery", (received) => received.some((r) => r.path === '/globex'));
      // Sent while every attempt to the hanging endpoints was still under way: none of them has ended yet.
      for (const id of slow) assert.deepEqual(await attemptsOf(id), [], id);
      await fastify.webhooks.store.delete('globex', globex!.id);
    } finally {
      // Deleted, their retries are dropped; cut off, the attempts under way end now.
      for (const id of slow) await fastify.inject({ method: 'DELETE', url: `/v1/webhooks/${id}` });
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });
});

describe("a process's delivery slots shared between tenants", () => {
  it('a tenant alone has all but the kept slots; beyond, a quick one waits for its own, a slow one is turned away', async () => {
    const slots = new TenantSlots(8);
    const taken = await Promise.all(Array.from({ length: 6 }, () => slots.take('acme')));
    assert.ok(taken.every(Boolean), 'six of eight at once');
    // Its attempts just began: the seventh waits for one of them to end rather than being turned away.
    const seventh = slots.take('acme');
    taken[0]!();
    assert.ok(await seventh);
    // The two kept slots are for tenants with fewer than their share (two) under way.
    assert.ok(await slots.take('globex'));
    // Attempts under way for longer than a quick one takes: no wait, no slot.
    await sleep(QUICK_MS + 20);
    assert.equal(await slots.take('acme'), undefined);
    assert.ok(await slots.take('globex'));
  });
});

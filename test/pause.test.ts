import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { JobView } from '../src/jobs/job-service.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { apiClient, finishedJob, type ApiClient } from './helpers/http.js';
import { listen, spawnWorker, waitFor, type Spawned } from './helpers/processes.js';
import { startReceiver } from './helpers/webhook-receiver.js';

describe('pause and resume (real worker processes, real Redis, an API restarted in between)', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let api: ApiClient;
  let dataset: Dataset;
  const workers: Spawned[] = [];

  const context = () => workers.map((w, i) => `worker ${i + 1}:\n${w.output()}`).join('\n');
  const startApi = async () => {
    let base: string;
    ({ server, base } = await listen(env.config));
    api = apiClient(base, context);
  };
  const worker = () => {
    const started = spawnWorker(env.config, { JOB_BACKOFF_MS: 0, PROGRESS_EVENT_INTERVAL_MS: 20 });
    workers.push(started);
    return started;
  };
  const ready = (process: Spawned) =>
    waitFor(`worker ${process.child.pid} to be ready`, async () => {
      const { items } = await api.ok<{ items: Array<{ pid: number }> }>('GET', '/v1/workers');
      return items.some((w) => w.pid === process.child.pid) ? true : undefined;
    });
  const events = async (id: string) =>
    (await api.ok<{ items: JobEvent[] }>('GET', `/v1/jobs/${id}/events?limit=1000`)).items;
  const statuses = async (id: string) =>
    (await events(id)).filter((e) => e.type === 'status').map((e) => e.data.status);
  const job = (id: string) => api.ok<JobView>('GET', `/v1/jobs/${id}`);
  const inStatus = (id: string, status: string) =>
    waitFor(`job ${id} to be ${status}`, async () => {
      const view = await job(id);
      return view.status === status ? view : undefined;
    });

  /** A CNN on all 1797 digits, epochs of some 225 batches: long enough to pause in the middle of one. */
  const longJob = (): JobRequest => ({
    dataset: dataset.id,
    architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [8, 16], denseUnits: 32, dropout: 0.2 },
    hyperparameters: { epochs: 4, batchSize: 8, learningRate: 0.003 },
    seed: 33,
  });

  before(async () => {
    env = await createTestEnv('pause', { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_BACKOFF_MS: 100 });
    await startApi();
    const response = await api.call<Dataset>('POST', '/v1/datasets?name=digits', digitsCsv(), 'text/csv');
    assert.equal(response.status, 201);
    dataset = response.body;
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await server?.close();
    await env?.cleanup();
  });

  it('a job paused mid-epoch frees its worker, survives restarts, resumes on another worker and ends as an uninterrupted run', async () => {
    const first = worker();
    await ready(first);
    const reference = await finishedJob(api, (await api.ok<JobView>('POST', '/v1/jobs', longJob())).id);
    assert.equal(reference.status, 'succeeded', context());

    const { id } = await api.ok<JobView>('POST', '/v1/jobs', longJob());
    await waitFor('progress part-way through epoch 2', async () =>
      (await events(id)).find(
        (e) => e.type === 'progress' && e.data.epoch === 2 && Number(e.data.batch) < Number(e.data.batches),
      ),
    );
    const askedAt = Date.now();
    const asked = await api.call<JobView>('POST', `/v1/jobs/${id}/pause`);
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    assert.deepEqual([asked.body.status, asked.body.pauseRequested], ['running', true]);
    const paused = await inStatus(id, 'paused');
    assert.equal(paused.pauseRequested, false);
    // Taken at the next batch after the request: inside epoch 2 as a rule, at the start of epoch 3 when the request
    // came while epoch 2 was being evaluated.
    const checkpoint = (await events(id)).filter((e) => e.type === 'checkpoint').at(-1)!;
    assert.ok(Date.parse(checkpoint.at) >= askedAt - 5, 'a checkpoint is taken on pausing');
    const [epoch, batch] = [Number(checkpoint.data.epoch), Number(checkpoint.data.batch)];
    assert.ok(epoch >= 1 && epoch <= 2, JSON.stringify(checkpoint));

    // Its slot is free: the same one-job worker runs another job to the end meanwhile.
    const other = await api.ok<JobView>('POST', '/v1/jobs', { ...longJob(), hyperparameters: { epochs: 1 } });
    assert.equal((await finishedJob(api, other.id)).status, 'succeeded', context());
    assert.equal((await job(id)).status, 'paused');

    // Every process restarts; the job is still paused, and stays so with a worker ready to take it.
    await first.kill();
    await server.close();
    await startApi();
    const second = worker();
    await ready(second);
    await sleep(1_500);
    const held = await job(id);
    assert.equal(held.status, 'paused', JSON.stringify(held));
    assert.equal((await api.call('POST', `/v1/jobs/${id}/pause`)).status, 200, 'pausing again is fine');

    const resumed = await api.ok<JobView>('POST', `/v1/jobs/${id}/resume`);
    assert.ok(['queued', 'running'].includes(resumed.status), resumed.status);
    const done = await finishedJob(api, id);
    assert.equal(done.status, 'succeeded', context());
    assert.deepEqual(
      done.history.map((row) => row.epoch),
      [1, 2, 3, 4],
    );
    for (const [i, row] of done.history.entries()) {
      for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const) {
        assert.ok(
          Math.abs((row[key] ?? 0) - (reference.history[i]![key] ?? 0)) < 1e-4,
          `epoch ${row.epoch} ${key}: ${row[key]} paused and resumed, ${reference.history[i]![key]} uninterrupted`,
        );
      }
    }
    assert.deepEqual(await statuses(id), ['queued', 'running', 'paused', 'queued', 'running', 'succeeded']);
    const log = (await events(id)).filter((e) => e.type === 'log').map((e) => String(e.data.message));
    const resumedAt =
      `resumed from the checkpoint after epoch ${epoch}` +
      (batch > 0 ? `, batch ${batch} of epoch ${epoch + 1}` : '');
    assert.ok(
      log.some((m) => m.startsWith(resumedAt)),
      log.join(' | '),
    );
  });

  it('a queued job is held at once, and a job.paused webhook says so; a worker that takes it up holds it; resumed, it runs', async () => {
    await Promise.all(workers.map((w) => w.kill()));
    const receiver = await startReceiver(() => ({ status: 204 }));
    after(() => receiver.close());
    await api.ok('POST', '/v1/webhooks', { url: receiver.url('/hooks'), events: ['job.paused'] });
    const { id } = await api.ok<JobView>('POST', '/v1/jobs', {
      ...longJob(),
      hyperparameters: { epochs: 1 },
    });
    const paused = await api.call<JobView>('POST', `/v1/jobs/${id}/pause`);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.status, 'paused');
    assert.equal((await api.ok<{ items: JobView[] }>('GET', '/v1/jobs?status=paused')).items[0]?.id, id);
    await receiver.until('a job.paused delivery', (received) => received.length > 0);
    const event = JSON.parse(receiver.received[0]!.body) as { type: string; data: JobView };
    assert.deepEqual([event.type, event.data.id, event.data.status], ['job.paused', id, 'paused']);
    const taker = worker();
    await ready(taker);
    await sleep(1_500);
    assert.equal((await job(id)).status, 'paused');
    await api.ok('POST', `/v1/jobs/${id}/resume`);
    assert.equal((await finishedJob(api, id)).status, 'succeeded', context());
    assert.deepEqual(await statuses(id), ['queued', 'paused', 'queued', 'running', 'succeeded']);
  });

  it('a paused job can be cancelled: it ends cancelled with no checkpoints; ended jobs cannot be paused or resumed', async () => {
    const { id } = await api.ok<JobView>('POST', '/v1/jobs', {
      ...longJob(),
      hyperparameters: { epochs: 30, batchSize: 4 },
    });
    await waitFor('a checkpoint', async () => (await events(id)).find((e) => e.type === 'checkpoint'));
    assert.equal((await api.call('POST', `/v1/jobs/${id}/pause`)).status, 202);
    await inStatus(id, 'paused');
    const cancelled = await api.call<JobView>('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'cancelled');
    assert.deepEqual((await api.ok<{ items: unknown[] }>('GET', `/v1/jobs/${id}/checkpoints`)).items, []);
    assert.equal((await statuses(id)).at(-1), 'cancelled');

    const pause = await api.call<{ code: string }>('POST', `/v1/jobs/${id}/pause`);
    assert.deepEqual([pause.status, pause.body.code], [409, 'job_finished']);
    const resume = await api.call<{ code: string }>('POST', `/v1/jobs/${id}/resume`);
    assert.deepEqual([resume.status, resume.body.code], [409, 'job_not_paused']);
  });
});

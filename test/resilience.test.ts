import { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { JobView } from '../src/jobs/job-service.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import { QUEUES } from '../src/queue/catalogue.js';
import { createRedis } from '../src/redis.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { apiClient, finishedJob, type ApiClient } from './helpers/http.js';
import { listen, spawnWorker, waitFor, type Spawned } from './helpers/processes.js';

/** Short locks, so a dead worker's job is found within a couple of seconds. */
/** Quick to notice a lost worker, and progress events often enough to act inside an epoch. */
const FAST_RECOVERY = {
  WORKER_LOCK_MS: 2_000,
  WORKER_STALLED_INTERVAL_MS: 1_000,
  JOB_BACKOFF_MS: 0,
  PROGRESS_EVENT_INTERVAL_MS: 50,
};

describe('long jobs survive their workers (real worker processes, real Redis)', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let api: ApiClient;
  let dataset: Dataset;
  const workers: Spawned[] = [];

  const events = async (id: string) =>
    (await api.ok<{ items: JobEvent[] }>('GET', `/v1/jobs/${id}/events?limit=1000`)).items;
  const worker = (env_: Record<string, number> = {}) => {
    const started = spawnWorker(env.config, { ...FAST_RECOVERY, ...env_ });
    workers.push(started);
    return started;
  };
  /** Waits until the live workers list holds a worker with this pid (it is ready to take jobs). */
  const ready = (process: Spawned) =>
    waitFor(`worker ${process.child.pid} to be ready`, async () => {
      const { items } = await api.ok<{ items: Array<{ pid: number }> }>('GET', '/v1/workers');
      return items.some((w) => w.pid === process.child.pid) ? true : undefined;
    });
  const finished = (id: string) => finishedJob(api, id);
  /** Waits for the first event that matches; on a timeout, says what the workers printed. */
  const seen = async (id: string, what: string, match: (e: JobEvent) => boolean) => {
    try {
      return await waitFor(what, async () => (await events(id)).find(match), 60_000);
    } catch (error) {
      const printed = workers
        .map((w, i) => `worker ${i + 1} (pid ${w.child.pid}):\n${w.output()}`)
        .join('\n');
      throw new Error(`${(error as Error).message}\n${JSON.stringify(await events(id))}\n${printed}`);
    }
  };

  /** A CNN on all 1797 digits, epochs of 90 batches or more: long enough to stop in the middle of one. */
  const longJob = (epochs: number, batchSize = 16): JobRequest => ({
    dataset: dataset.id,
    architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [8, 16], denseUnits: 32, dropout: 0.2 },
    hyperparameters: { epochs, batchSize, learningRate: 0.003 },
    seed: 21,
  });

  const assertWholeHistory = (job: JobView, epochs: number) =>
    assert.deepEqual(
      job.history.map((row) => row.epoch),
      Array.from({ length: epochs }, (_, i) => i + 1),
      'one history row per epoch, none missing or repeated',
    );

  before(async () => {
    env = await createTestEnv('resilience');
    let base: string;
    ({ server, base } = await listen(env.config));
    api = apiClient(base, () => workers.map((w) => w.output()).join('\n'));
    const response = await api.call<Dataset>('POST', '/v1/datasets?name=digits', digitsCsv(), 'text/csv');
    assert.equal(response.status, 201);
    dataset = response.body;
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await server?.close();
    await env?.cleanup();
  });

  let crashed: JobView;
  let resumedFrom: number;

  it('kill -9 in the middle of an epoch: a second worker goes on from the last checkpoint', async () => {
    const first = worker();
    await ready(first);
    const { id } = await api.ok<JobView>('POST', '/v1/jobs', longJob(6, 8));
    const checkpoint = await seen(
      id,
      'a checkpoint after epoch 2',
      (e) => e.type === 'checkpoint' && e.data.epoch === 2,
    );
    // Into epoch 3, part-way: the kill lands between checkpoints.
    await seen(
      id,
      'progress part-way through epoch 3 or later',
      (e) =>
        e.type === 'progress' && Number(e.data.epoch) >= 3 && Number(e.data.batch) < Number(e.data.batches),
    );
    first.child.kill('SIGKILL');
    await first.exited;
    // The last checkpoint written is the store's: the kill can land after a checkpoint was stored and before its
    // event was appended.
    const stored = await api.ok<{ items: Array<{ epoch: number }> }>('GET', `/v1/jobs/${id}/checkpoints`);
    const killedAt = { data: { epoch: stored.items.at(-1)!.epoch } };
    assert.ok(Number(killedAt.data.epoch) >= Number(checkpoint.data.epoch));

    const second = worker();
    crashed = await finished(id);
    assert.equal(crashed.status, 'succeeded', JSON.stringify(crashed.error) + second.output());
    assertWholeHistory(crashed, 6);
    const log = (await events(id)).filter((e) => e.type === 'log').map((e) => String(e.data.message));
    const resumed = log.find((m) => m.startsWith('resumed from the checkpoint after epoch'));
    assert.ok(resumed, `a log event says where it resumed: ${log.join(' | ')}`);
    resumedFrom = Number(/after epoch (\d+)/.exec(resumed)![1]);
    assert.equal(resumedFrom, Number(killedAt.data.epoch), 'it resumed from the last checkpoint written');
    const statuses = (await events(id)).filter((e) => e.type === 'status').map((e) => e.data.status);
    assert.deepEqual(statuses, ['queued', 'running', 'retrying', 'running', 'succeeded']);
    // Checkpoints are gone with the finished job.
    assert.deepEqual((await api.ok<{ items: unknown[] }>('GET', `/v1/jobs/${id}/checkpoints`)).items, []);
  });

  it('the resumed job ends with the metrics of an uninterrupted run with the same seed', async () => {
    const { id } = await api.ok<JobView>('POST', '/v1/jobs', longJob(6, 8));
    const uninterrupted = await finished(id);
    assert.equal(uninterrupted.status, 'succeeded');
    for (const [i, row] of crashed.history.entries()) {
      const reference = uninterrupted.history[i]!;
      for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const) {
        assert.ok(
          Math.abs((row[key] ?? 0) - (reference[key] ?? 0)) < 1e-4,
          `epoch ${row.epoch} ${key}: ${row[key]} after resuming from epoch ${resumedFrom}, ${reference[key]} uninterrupted`,
        );
      }
    }
    console.log(
      `crash-resume: resumed from epoch ${resumedFrom}; final val_accuracy ${crashed.metrics.val_accuracy} (uninterrupted ${uninterrupted.metrics.val_accuracy}), val_loss ${crashed.metrics.val_loss} (uninterrupted ${uninterrupted.metrics.val_loss})`,
    );
  });

  it('SIGTERM: the worker stops at a batch, checkpoints, hands the job back and exits 0; another resumes it', async () => {
    // The worker from the last test is the only one running; it is the one told to stop.
    const running = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
    // Small batches: some 360 of them an epoch, so the stop lands inside one. Any epoch from the 2nd to the 8th of 10
    // will do: at least two are left for the worker that resumes it.
    const { id } = await api.ok<JobView>('POST', '/v1/jobs', longJob(10, 4));
    await seen(
      id,
      'progress inside one of epochs 2 to 8',
      (e) =>
        e.type === 'progress' &&
        Number(e.data.epoch) >= 2 &&
        Number(e.data.epoch) <= 8 &&
        Number(e.data.batch) < Number(e.data.batches),
    );
    const stoppedAt = Date.now();
    running.child.kill('SIGTERM');
    const [code, signal] = await running.exited;
    assert.deepEqual([code, signal], [0, null], running.output());
    // Within its drain bound: a worker that reaches it says so (and kills its training processes).
    assert.doesNotMatch(running.output(), /drain bound reached/);
    // The hand-off checkpoint is taken at the next batch after the signal: inside an epoch as a rule, at its start
    // when the signal came while the epoch before was being evaluated.
    const handedBack = (await events(id)).filter((e) => e.type === 'checkpoint').at(-1)!;
    assert.ok(Date.parse(handedBack.at) >= stoppedAt, 'a checkpoint is taken on the way out');
    const [epoch, batch] = [Number(handedBack.data.epoch), Number(handedBack.data.batch)];
    console.log(`SIGTERM hand-off: checkpoint after epoch ${epoch}, batch ${batch}`);
    const queued = (await events(id)).filter((e) => e.type === 'status').at(-1)!;
    assert.equal(queued.data.status, 'queued');

    worker();
    const job = await finished(id);
    assert.equal(job.status, 'succeeded');
    assertWholeHistory(job, 10);
    assert.equal(job.attempts, 2, 'the hand-off used no attempt of its own: two starts, no failures');
    const log = (await events(id)).filter((e) => e.type === 'log').map((e) => String(e.data.message));
    const resumedAt =
      `resumed from the checkpoint after epoch ${epoch}` +
      (batch > 0 ? `, batch ${batch} of epoch ${epoch + 1}` : '');
    assert.ok(
      log.some((m) => m.startsWith(resumedAt)),
      log.join(' | '),
    );
  });

  it('a job many times longer than the lock is never marked stalled', async () => {
    await Promise.all(workers.map((w) => w.kill()));
    const lockMs = 500;
    const patient = worker({ WORKER_LOCK_MS: lockMs, WORKER_STALLED_INTERVAL_MS: 500 });
    await ready(patient);
    const connection = createRedis(env.config, 'worker');
    const queueEvents = new QueueEvents(QUEUES.training, { connection, prefix: env.prefix });
    const stalled: string[] = [];
    queueEvents.on('stalled', ({ jobId }) => stalled.push(jobId));
    await queueEvents.waitUntilReady();
    try {
      // Far more epochs than it is given: however fast the machine, it is still running when it is cancelled.
      const { id } = await api.ok<JobView>('POST', '/v1/jobs', longJob(500));
      await seen(id, 'running', (e) => e.type === 'status' && e.data.status === 'running');
      await sleep(8 * lockMs);
      const running = await api.ok<JobView>('GET', `/v1/jobs/${id}`);
      assert.equal(running.status, 'running');
      await api.ok('POST', `/v1/jobs/${id}/cancel`);
      const job = await finished(id);
      assert.equal(job.status, 'cancelled');
      assert.deepEqual(stalled, [], 'never marked stalled over eight lock durations');
      assert.equal(job.attempts, 1);
      const statuses = (await events(id)).filter((e) => e.type === 'status').map((e) => e.data.status);
      assert.deepEqual(statuses, ['queued', 'running', 'cancelled']);
    } finally {
      await queueEvents.close();
      connection.disconnect();
    }
  });
});

import { Queue, Worker } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseCsv } from '../src/datasets/dataset-parser.js';
import { DatasetStore, type Dataset } from '../src/datasets/dataset-store.js';
import { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { JobEvents } from '../src/jobs/job-events.js';
import { JobLifecycle, type Transition } from '../src/jobs/job-lifecycle.js';
import type { JobService } from '../src/jobs/job-service.js';
import { createLogger } from '../src/logger.js';
import { ModelStore } from '../src/models/model-store.js';
import {
  QUEUES,
  trainingJobOptions,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { createRedis } from '../src/redis.js';
import { FsStore } from '../src/store/fs-store.js';
import { TrainingStopped } from '../src/training/train.js';
import { watchStopRequests } from '../workers/stop-requests.js';
import { createTrainingProcessor, type ActiveJob } from '../workers/train.processor.js';
import type { RunChannel } from '../workers/training-run.js';
import type { TrainingRunner } from '../workers/training-runner.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { waitFor } from './helpers/processes.js';
import { jobService, pollJob } from './helpers/worker.js';

const TENANT = 'default';

/** What a run that ends returns; it trained nothing. */
const result = (jobId: string): TrainingResultValue => ({
  modelId: `mdl_of_${jobId}`,
  metrics: {},
  history: [],
  backend: { name: 'cpu', device: 'cpu' },
  startedAt: new Date().toISOString(),
  featureCaching: false,
  modelBytes: 0,
});

/** A promise and what settles it. */
function opening() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Resolves once the run's signal is aborted (a cancel or a pause reached its worker). */
const abortedOf = (channel: RunChannel) =>
  new Promise<void>((resolve) => {
    if (channel.signal.aborted) resolve();
    else channel.signal.addEventListener('abort', () => resolve(), { once: true });
  });

/**
 * Pause and resume against a worker at the moments that matter, placed exactly: a real BullMQ worker in this
 * process runs the real processor and the real watcher of stop requests; its runner trains nothing, and does what
 * each test says, standing for a run that stops at its next batch (a TrainingStopped) or ends.
 */
describe('pause and resume against a worker, at the moments that race (real worker in this process, real Redis)', () => {
  let env: TestEnv;
  let producer: ReturnType<typeof createRedis>;
  let connection: ReturnType<typeof createRedis>;
  let queue: Queue<TrainingPayload, TrainingResultValue>;
  let worker: Worker<TrainingPayload, TrainingResultValue>;
  let stops: Awaited<ReturnType<typeof watchStopRequests>>;
  let jobs: JobService;
  let events: JobEvents;
  let digits: Dataset;
  /** What each run of the job does; `runs` counts them. */
  let run: (channel: RunChannel, runs: number) => Promise<TrainingResultValue>;
  let runs = 0;
  /** What happens as the worker writes a status, before it goes on. */
  let onStatus: (transition: Transition) => Promise<void>;

  before(async () => {
    env = await createTestEnv('pause-races');
    const store = new FsStore(env.dataDir);
    const datasets = new DatasetStore(store);
    const csv = Buffer.from(digitsCsv({ perClass: 2 }));
    digits = await datasets.create(TENANT, 'digits', 'csv', csv, await parseCsv(csv, { maxClasses: 1000 }));
    producer = createRedis(env.config, 'producer');
    queue = new Queue(QUEUES.training, {
      connection: producer,
      prefix: env.prefix,
      // A retry waits a minute: long enough to pause a job while it waits out its backoff.
      defaultJobOptions: trainingJobOptions(3, 60_000),
    });
    jobs = jobService(env.config, queue, producer);
    events = new JobEvents(producer, env.prefix);
    const runner: TrainingRunner = {
      run: (_request, channel) => run(channel, ++runs),
      kill: () => undefined,
      close: async () => undefined,
    };
    connection = createRedis(env.config, 'worker');
    const lifecycle = new JobLifecycle(connection, env.prefix);
    lifecycle.onStatus((transition) => onStatus(transition));
    const active = new Map<string, ActiveJob>();
    const processor = createTrainingProcessor({
      runner,
      events: new JobEvents(connection, env.prefix),
      lifecycle,
      checkpoints: new CheckpointStore(store, env.config.CHECKPOINT_KEEP),
      models: new ModelStore(store),
      redis: connection,
      prefix: env.prefix,
      logger: createLogger('silent', 'test'),
      active,
      draining: () => false,
      progressEventIntervalMs: 500,
    });
    stops = await watchStopRequests(connection, env.prefix, active);
    worker = new Worker(QUEUES.training, processor, { connection, prefix: env.prefix });
    await worker.waitUntilReady();
  });

  beforeEach(() => {
    runs = 0;
    onStatus = async () => undefined;
  });

  after(async () => {
    clearInterval(stops?.poll);
    stops?.subscriber.disconnect();
    await worker?.close();
    await queue?.close();
    producer?.disconnect();
    connection?.disconnect();
    await env?.cleanup();
  });

  const submit = async () =>
    (
      await jobs.submit(TENANT, {
        dataset: digits.id,
        architecture: { type: 'mlp', hiddenUnits: [8] },
        hyperparameters: { epochs: 1 },
        seed: 1,
      })
    ).job.id;
  const statuses = async (id: string) =>
    (await events.read(id, '0', 1000)).filter((e) => e.type === 'status').map((e) => e.data.status);
  const finished = (id: string) => pollJob(() => jobs.get(TENANT, id), 30_000);

  it('a resume before the worker reaches the pause withdraws it: the job runs on and ends as it would have', async () => {
    const started = opening();
    const gate = opening();
    // A run that ends (its last batch was done) just as the pause came.
    run = async () => {
      started.open();
      await gate.opened;
      return result('withdrawn');
    };
    const id = await submit();
    await started.opened;
    const paused = await jobs.pause(TENANT, id);
    assert.deepEqual([paused.accepted, paused.job.pauseRequested], [true, true]);
    const resumed = await jobs.resume(TENANT, id);
    assert.deepEqual([resumed.status, resumed.pauseRequested], ['running', false]);
    await assert.rejects(jobs.resume(TENANT, id), { code: 'job_not_paused' });
    gate.open();
    assert.equal((await finished(id)).status, 'succeeded');
    // Never written `queued` while it ran: the end is written, and the job's log ends with it.
    assert.deepEqual(await statuses(id), ['queued', 'running', 'succeeded']);
    assert.equal(await events.ended(id), true);
  });

  it('a run stopped by a pause withdrawn meanwhile is handed back, never shown (or announced) paused', async () => {
    const stopping = opening();
    const gate = opening();
    run = async (channel, n) => {
      if (n > 1) return result('handed-back');
      await abortedOf(channel);
      stopping.open();
      await gate.opened;
      throw new TrainingStopped(String(channel.signal.reason));
    };
    const id = await submit();
    await waitFor('the run to start', async () => (runs > 0 ? true : undefined));
    assert.equal((await jobs.pause(TENANT, id)).accepted, true);
    await stopping.opened;
    assert.equal((await jobs.resume(TENANT, id)).status, 'running');
    gate.open();
    assert.equal((await finished(id)).status, 'succeeded');
    assert.deepEqual(await statuses(id), ['queued', 'running', 'queued', 'running', 'succeeded']);
    assert.equal(runs, 2);
  });

  it('a cancel answered as the worker writes the job paused still ends it cancelled', async () => {
    run = async (channel) => {
      await abortedOf(channel);
      throw new TrainingStopped(String(channel.signal.reason));
    };
    const id = await submit();
    let cancel: Awaited<ReturnType<JobService['cancel']>> | undefined;
    // The cancel comes between the worker writing `paused` and moving the job aside: the job is still active.
    onStatus = async (transition) => {
      if (transition.jobId === id && transition.to === 'paused') cancel = await jobs.cancel(TENANT, id);
    };
    await waitFor('the run to start', async () => (runs > 0 ? true : undefined));
    // Answered 202 or 200 (paused already), as the worker is quick.
    await jobs.pause(TENANT, id);
    assert.equal((await finished(id)).status, 'cancelled');
    assert.equal(cancel?.accepted, true, 'answered 202');
    assert.deepEqual(await statuses(id), ['queued', 'running', 'paused', 'cancelled']);
  });

  it('a job waiting out the backoff of a retry is paused at once, and resumed runs at once', async () => {
    run = async (_channel, n) => {
      if (n === 1) throw new Error('the training process crashed');
      return result('retried');
    };
    const id = await submit();
    await waitFor('the retry to wait', async () =>
      (await jobs.get(TENANT, id)).status === 'retrying' ? true : undefined,
    );
    const paused = await jobs.pause(TENANT, id);
    assert.deepEqual([paused.accepted, paused.job.status], [false, 'paused']);
    // Resumed, it runs now rather than once the minute of its backoff is out (past the wait for it to finish).
    const resumed = await jobs.resume(TENANT, id);
    assert.ok(['queued', 'running'].includes(resumed.status), resumed.status);
    assert.equal((await finished(id)).status, 'succeeded');
    assert.deepEqual(await statuses(id), [
      'queued',
      'running',
      'retrying',
      'paused',
      'queued',
      'running',
      'succeeded',
    ]);
  });
});

import { Queue, Worker } from 'bullmq';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { parseCsv } from '../src/datasets/dataset-parser.js';
import { DatasetStore, type Dataset } from '../src/datasets/dataset-store.js';
import { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { jobBudget } from '../src/jobs/job-cost.js';
import { JobEvents } from '../src/jobs/job-events.js';
import { JobLifecycle } from '../src/jobs/job-lifecycle.js';
import { modelIdOfJob, type JobService } from '../src/jobs/job-service.js';
import { createLogger } from '../src/logger.js';
import { ModelStore } from '../src/models/model-store.js';
import {
  QUEUES,
  redisKeysFor,
  trainingJobOptions,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { createRedis } from '../src/redis.js';
import { FsStore } from '../src/store/fs-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { createTrainingProcessor } from '../workers/train.processor.js';
import { JobFailure } from '../workers/training-run.js';
import { InlineRunner, type TrainingRunner } from '../workers/training-runner.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { jobService, pollJob, startWorker } from './helpers/worker.js';

const TENANT = 'default';

/**
 * The cancel that comes while a run ends, placed exactly: a real BullMQ worker in this process runs the real
 * processor, whose runner trains for real and then, before the processor ends the job, has the API cancel it.
 */
describe('a cancel against a run that is ending (real worker in this process, real Redis)', () => {
  let env: TestEnv;
  let producer: ReturnType<typeof createRedis>;
  let connection: ReturnType<typeof createRedis>;
  let queue: Queue<TrainingPayload, TrainingResultValue>;
  let worker: Worker<TrainingPayload, TrainingResultValue>;
  let jobs: JobService;
  let models: ModelStore;
  let digits: Dataset;
  /** What the runner does once training has ended, before the processor hears of it. */
  let onRunEnd: (jobId: string) => Promise<void>;
  /** Whether the cancel each run asked for was accepted (a 202). */
  const accepted = new Map<string, boolean>();

  before(async () => {
    env = await createTestEnv('cancel-race');
    const store = new FsStore(env.dataDir);
    const datasets = new DatasetStore(store);
    models = new ModelStore(store);
    const checkpoints = new CheckpointStore(store, env.config.CHECKPOINT_KEEP);
    const csv = Buffer.from(digitsCsv({ perClass: 10 }));
    digits = await datasets.create(TENANT, 'digits', 'csv', csv, await parseCsv(csv, { maxClasses: 1000 }));
    producer = createRedis(env.config, 'producer');
    queue = new Queue(QUEUES.training, {
      connection: producer,
      prefix: env.prefix,
      defaultJobOptions: trainingJobOptions(3, 0),
    });
    jobs = jobService(env.config, queue, producer);
    const logger = createLogger('silent', 'test');
    const inline = new InlineRunner({
      datasets,
      models,
      checkpoints,
      backend: await selectBackend('auto'),
      logger,
      checkpointEvery: 1,
      checkpointMinIntervalMs: 0,
      progressIntervalMs: 250,
      budget: jobBudget(env.config),
    });
    const runner: TrainingRunner = {
      run: async (request, channel) => {
        const result = await inline.run(request, channel);
        await onRunEnd(request.jobId);
        return result;
      },
      kill: () => inline.kill(),
      close: () => inline.close(),
    };
    connection = createRedis(env.config, 'worker');
    const processor = createTrainingProcessor({
      runner,
      events: new JobEvents(connection, env.prefix),
      lifecycle: new JobLifecycle(connection, env.prefix),
      checkpoints,
      models,
      redis: connection,
      prefix: env.prefix,
      logger,
      active: new Map(),
      draining: () => false,
      progressEventIntervalMs: 500,
    });
    worker = new Worker(QUEUES.training, processor, { connection, prefix: env.prefix });
    await worker.waitUntilReady();
  });

  after(async () => {
    await worker?.close();
    await queue?.close();
    producer?.disconnect();
    connection?.disconnect();
    await env?.cleanup();
  });

  const cancelNow = async (jobId: string) => {
    const { accepted: wasAccepted } = await jobs.cancel(TENANT, jobId);
    accepted.set(jobId, wasAccepted);
  };
  const submit = async () =>
    (
      await jobs.submit(TENANT, {
        dataset: digits.id,
        architecture: { type: 'mlp', hiddenUnits: [8] },
        hyperparameters: { epochs: 1 },
        seed: 1,
      })
    ).job.id;

  it('a cancel and a worker ending the job exclude each other in Redis', async () => {
    const lifecycle = new JobLifecycle(env.redis, env.prefix);
    const log = new JobEvents(env.redis, env.prefix);
    const running = async (id: string) => {
      await lifecycle.transition({ id, tenant: TENANT }, 'queued');
      await lifecycle.transition({ id, tenant: TENANT }, 'running');
      return { id, tenant: TENANT };
    };
    // The cancel first: the success is refused, and the job is to end cancelled.
    const cancelFirst = await running('job_cancel_first');
    assert.equal(await lifecycle.requestCancel('job_cancel_first'), null);
    const refused = await lifecycle.transition(cancelFirst, 'succeeded', {}, { unlessCancelled: true });
    assert.equal(refused, 'cancel_requested');
    assert.equal(await log.ended('job_cancel_first'), false);
    // The end first: the cancel is refused with the status the job ended with, and nothing is recorded.
    const endFirst = await running('job_end_first');
    assert.equal(await lifecycle.transition(endFirst, 'succeeded', {}, { unlessCancelled: true }), 'moved');
    assert.equal(await lifecycle.requestCancel('job_end_first'), 'succeeded');
    assert.equal(await env.redis.exists(redisKeysFor(env.prefix).cancel('job_end_first')), 0);
  });

  it('trained and stored, then cancelled (202): the job ends cancelled, its model deleted and not counted', async () => {
    onRunEnd = cancelNow;
    const id = await submit();
    const job = await pollJob(() => jobs.get(TENANT, id));
    assert.equal(accepted.get(id), true, 'the cancel was answered 202');
    assert.equal(job.status, 'cancelled');
    assert.equal(job.modelId, null);
    assert.equal(await models.get(TENANT, modelIdOfJob(id)), undefined);
    const counted = await env.redis.hexists(
      redisKeysFor(env.prefix).storedResources(TENANT),
      modelIdOfJob(id),
    );
    assert.equal(counted, 0);
  });

  it('cancelled (202), then the run fails: the job ends cancelled, not failed', async () => {
    onRunEnd = async (jobId) => {
      await cancelNow(jobId);
      throw new JobFailure('training_error', 'memory access out of bounds');
    };
    const id = await submit();
    const job = await pollJob(() => jobs.get(TENANT, id));
    assert.equal(accepted.get(id), true);
    assert.equal(job.status, 'cancelled', JSON.stringify(job.error));
    assert.equal(job.attempts, 1);
  });

  it('cancelled (202), then the run crashes: the job ends cancelled, not retried', async () => {
    onRunEnd = async (jobId) => {
      await cancelNow(jobId);
      throw new Error('the training process was killed (out of memory?)');
    };
    const id = await submit();
    const job = await pollJob(() => jobs.get(TENANT, id));
    assert.equal(accepted.get(id), true);
    assert.equal(job.status, 'cancelled', JSON.stringify(job.error));
    assert.equal(job.attempts, 1, 'no second attempt');
  });

  it('ended before the cancel: the cancel is a 409 and the model stays', async () => {
    onRunEnd = async () => undefined;
    const id = await submit();
    const job = await pollJob(() => jobs.get(TENANT, id));
    assert.equal(job.status, 'succeeded');
    await assert.rejects(jobs.cancel(TENANT, id), { code: 'job_finished', status: 409 });
    assert.ok(await models.get(TENANT, job.modelId!));
  });
});

/**
 * A cancel answered 202 while the job's worker is dead: the job is locked by a worker that never renews its lock,
 * and with one attempt stall detection fails it. The failure no worker recorded still ends it cancelled.
 */
describe('a cancel (202) against a job stall detection fails (real workers, real Redis)', () => {
  let env: TestEnv;
  let producer: ReturnType<typeof createRedis>;
  let connection: ReturnType<typeof createRedis>;
  let queue: Queue<TrainingPayload, TrainingResultValue>;
  let jobs: JobService;
  let log: JobEvents;
  let digits: Dataset;

  before(async () => {
    // One attempt: the first stall fails the job (maxStalledCount is JOB_ATTEMPTS - 1).
    env = await createTestEnv('cancel-stall', {
      WORKER_LOCK_MS: 500,
      WORKER_STALLED_INTERVAL_MS: 500,
      JOB_ATTEMPTS: 1,
    });
    const csv = Buffer.from(digitsCsv({ perClass: 5 }));
    const datasets = new DatasetStore(new FsStore(env.dataDir));
    digits = await datasets.create(TENANT, 'digits', 'csv', csv, await parseCsv(csv, { maxClasses: 1000 }));
    producer = createRedis(env.config, 'producer');
    connection = createRedis(env.config, 'worker');
    queue = new Queue(QUEUES.training, {
      connection: producer,
      prefix: env.prefix,
      defaultJobOptions: trainingJobOptions(1, 0),
    });
    await queue.waitUntilReady();
    jobs = jobService(env.config, queue, producer);
    log = new JobEvents(env.redis, env.prefix);
  });

  after(async () => {
    await queue?.close();
    producer?.disconnect();
    connection?.disconnect();
    await env?.cleanup();
  });

  /** Submits a job, and has a worker take it and die: the job stays locked until its lock runs out. */
  const takenByDeadWorker = async (lockDuration: number) => {
    const { job } = await jobs.submit(TENANT, {
      dataset: digits.id,
      architecture: { type: 'mlp', hiddenUnits: [4] },
      hyperparameters: { epochs: 1 },
    });
    const dead = new Worker<TrainingPayload, TrainingResultValue>(QUEUES.training, null, {
      connection,
      prefix: env.prefix,
      lockDuration,
    });
    const taken = await dead.getNextJob('token-of-a-dead-worker');
    assert.equal(taken?.id, job.id);
    const cancel = await jobs.cancel(TENANT, job.id);
    assert.equal(cancel.accepted, true, 'the cancel was answered 202');
    return { id: job.id, taken, dead };
  };
  const terminalStatus = async (id: string) => {
    while (!(await log.ended(id))) await sleep(50);
    return (await log.read(id, '0', 1000)).at(-1)?.data.status;
  };

  it('the worker that finds it stalled and fails it ends its log cancelled, not failed', async () => {
    const { id, dead } = await takenByDeadWorker(env.config.WORKER_LOCK_MS);
    const trainer = await startWorker(env.config);
    try {
      assert.equal(await terminalStatus(id), 'cancelled');
      const job = await jobs.get(TENANT, id);
      assert.equal(job.status, 'cancelled');
      assert.equal(job.error, null);
    } finally {
      await trainer.close();
      await dead.close();
    }
  });

  it('failed with no worker left to say so: the job reads cancelled and its log ends cancelled', async () => {
    // A lock that holds while this test fails the job itself.
    const { id, taken, dead } = await takenByDeadWorker(600_000);
    try {
      // What stall detection does to a job whose workers kept dying, with no worker's listener to end its log.
      await taken.moveToFailed(new Error('job stalled more than allowable limit'), 'token-of-a-dead-worker');
      const job = await jobs.get(TENANT, id);
      assert.equal(job.status, 'cancelled', JSON.stringify(job.error));
      await jobs.settle(id);
      assert.equal(await terminalStatus(id), 'cancelled');
    } finally {
      await dead.close();
    }
  });
});

import type { Queue, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../src/config.js';
import { DatasetStore } from '../../src/datasets/dataset-store.js';
import { CheckpointStore } from '../../src/jobs/checkpoint-store.js';
import { jobBudget } from '../../src/jobs/job-cost.js';
import { JobEvents } from '../../src/jobs/job-events.js';
import { JobLifecycle } from '../../src/jobs/job-lifecycle.js';
import { JobService, type JobView } from '../../src/jobs/job-service.js';
import { ModelStore } from '../../src/models/model-store.js';
import type { TrainingPayload, TrainingResultValue } from '../../src/queue/catalogue.js';
import { FsStore } from '../../src/store/fs-store.js';
import { startTrainer } from '../../workers/trainer.js';

export interface InProcessWorker {
  worker: Worker<TrainingPayload, TrainingResultValue>;
  /** Closes the worker (handing back a running job) and its connections. */
  close: () => Promise<void>;
}

/** A real BullMQ worker in the test process training inline, so tf.memory() here sees its tensors. */
export async function startWorker(config: Config): Promise<InProcessWorker> {
  const trainer = await startTrainer({ ...config, TRAINING_ISOLATION: 'inline', LOG_LEVEL: 'silent' });
  return { worker: trainer.worker, close: () => trainer.close() };
}

/** The job service as the API builds it, on a producer connection of its own. */
export function jobService(config: Config, queue: Queue<TrainingPayload, TrainingResultValue>, redis: Redis) {
  const store = new FsStore(config.DATA_DIR);
  return new JobService({
    queue,
    redis,
    prefix: config.QUEUE_PREFIX,
    datasets: new DatasetStore(store),
    models: new ModelStore(store),
    events: new JobEvents(redis, config.QUEUE_PREFIX),
    lifecycle: new JobLifecycle(redis, config.QUEUE_PREFIX),
    checkpoints: new CheckpointStore(store, config.CHECKPOINT_KEEP),
    idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    budget: jobBudget(config),
  });
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls `read` until the job it returns has finished; fails the test if that takes longer than `timeoutMs`. */
export async function pollJob(read: () => Promise<JobView>, timeoutMs = 120_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await read();
    if (FINISHED.has(job.status)) return job;
    assert.ok(Date.now() < deadline, `job ${job.id} still ${job.status} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Polls GET /v1/jobs/:id until the job has finished. */
export function waitForJob(fastify: FastifyInstance, id: string, timeoutMs?: number): Promise<JobView> {
  return pollJob(async () => {
    const response = await fastify.inject({ method: 'GET', url: `/v1/jobs/${id}` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<JobView>();
  }, timeoutMs);
}

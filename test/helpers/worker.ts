import { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { Config } from '../../src/config.js';
import { DatasetStore } from '../../src/datasets/dataset-store.js';
import type { JobView } from '../../src/jobs/job-service.js';
import { ModelStore } from '../../src/models/model-store.js';
import { QUEUES, type TrainingPayload, type TrainingResultValue } from '../../src/queue/catalogue.js';
import { createRedis } from '../../src/redis.js';
import { FsStore } from '../../src/store/fs-store.js';
import { selectBackend } from '../../src/tf/backend.js';
import { createTrainingProcessor } from '../../workers/train.processor.js';

export interface InProcessWorker {
  worker: Worker<TrainingPayload, TrainingResultValue>;
  /** Closes the worker (waiting for a running job) and its connection. */
  close: () => Promise<void>;
}

/** A real BullMQ worker in the test process running the real processor, so tf.memory() here sees its tensors. */
export async function startWorker(config: Config): Promise<InProcessWorker> {
  const backend = await selectBackend(config.TFJS_BACKEND);
  const store = new FsStore(config.DATA_DIR);
  const processor = createTrainingProcessor({
    datasets: new DatasetStore(store),
    models: new ModelStore(store),
    backend,
    logger: pino({ level: 'silent' }),
  });
  const connection = createRedis(config.REDIS_URL, 'worker');
  const worker = new Worker<TrainingPayload, TrainingResultValue>(QUEUES.training, processor, {
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency: 1,
  });
  await worker.waitUntilReady();
  return {
    worker,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
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

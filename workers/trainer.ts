import { Worker } from 'bullmq';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from '../src/config.js';
import { DatasetStore } from '../src/datasets/dataset-store.js';
import { createLogger } from '../src/logger.js';
import { ModelStore } from '../src/models/model-store.js';
import { QUEUES, type TrainingPayload, type TrainingResultValue } from '../src/queue/catalogue.js';
import { createRedis } from '../src/redis.js';
import { FsStore } from '../src/store/fs-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { createTrainingProcessor } from './train.processor.js';

const DRAIN_BOUND_MS = 30_000;

/** Runs a training worker process until SIGTERM or SIGINT. */
export async function startTrainer(config: Config = loadConfig()) {
  const logger = createLogger(config.LOG_LEVEL, 'trainer');
  const backend = await selectBackend(config.TFJS_BACKEND, (kind, why) =>
    logger.debug({ backend: kind, why }, 'TF.js backend unavailable'),
  );
  logger.info({ backend, concurrency: config.WORKER_CONCURRENCY }, 'TF.js backend selected');

  const store = new FsStore(config.DATA_DIR);
  await store.check();
  const processor = createTrainingProcessor({
    datasets: new DatasetStore(store),
    models: new ModelStore(store),
    backend,
    logger,
  });
  const worker = new Worker<TrainingPayload, TrainingResultValue>(QUEUES.training, processor, {
    connection: createRedis(config.REDIS_URL, 'worker'),
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    // A job whose worker died (its lock expired) is taken up again, within the same budget as other retries.
    maxStalledCount: config.JOB_ATTEMPTS - 1,
  });
  worker.on('failed', (job, err) =>
    logger.warn({ jobId: job?.id, err, attempts: job?.attemptsMade }, 'job failed'),
  );
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  worker.on('completed', (job) =>
    logger.info({ jobId: job.id, modelId: job.returnvalue.modelId }, 'job completed'),
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      logger.warn('drain bound reached; exiting with the job still locked (it will be retried)');
      process.exit(1);
    }, DRAIN_BOUND_MS);
    await worker.close();
    await worker.disconnect();
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await worker.waitUntilReady();
  logger.info({ queue: QUEUES.training, prefix: config.QUEUE_PREFIX }, 'worker ready');
  return worker;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  startTrainer().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';
import { loadConfig, readDotEnv, type Config } from '../src/config.js';
import { DatasetStore } from '../src/datasets/dataset-store.js';
import { newId } from '../src/ids.js';
import { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { jobBudget } from '../src/jobs/job-cost.js';
import { JobEvents } from '../src/jobs/job-events.js';
import { discardCancelledJob } from '../src/jobs/job-outputs.js';
import { failureOf } from '../src/jobs/job-service.js';
import { createLogger } from '../src/logger.js';
import { ModelStore } from '../src/models/model-store.js';
import { QUEUES, redisKeys, type TrainingPayload, type TrainingResultValue } from '../src/queue/catalogue.js';
import { WorkerRegistry, workerHeartbeatTtl, type WorkerInfo } from '../src/queue/worker-registry.js';
import { createRedis } from '../src/redis.js';
import { openStore } from '../src/store/open-store.js';
import { selectBackend, type BackendInfo } from '../src/tf/backend.js';
import { serveWorkerMetrics } from './worker-metrics.js';
import { createTrainingProcessor, type ActiveJob } from './train.processor.js';
import { InlineRunner, ProcessRunner, type TrainingRunner } from './training-runner.js';

/** How often the worker looks for cancel requests it may have missed on the channel (a reconnect, say). */
const CANCEL_POLL_MS = 1_000;

export interface Trainer {
  worker: Worker<TrainingPayload, TrainingResultValue>;
  id: string;
  drainTimeoutMs: number;
  /** Stops taking jobs, hands running ones back with a checkpoint, and closes; bounded by the drain timeout. */
  close(): Promise<void>;
}

/** Starts a training worker: a BullMQ worker whose jobs train in training processes (or inline). */
export async function startTrainer(config: Config = loadConfig()): Promise<Trainer> {
  const logger = createLogger(config.LOG_LEVEL, 'trainer');
  const store = openStore(config);
  await store.check();
  const checkpoints = new CheckpointStore(store, config.CHECKPOINT_KEEP);

  let runner: TrainingRunner;
  let backend: BackendInfo;
  if (config.TRAINING_ISOLATION === 'inline') {
    backend = await selectBackend(config.TFJS_BACKEND, (kind, why) =>
      logger.debug({ backend: kind, why }, 'TF.js backend unavailable'),
    );
    runner = new InlineRunner({
      datasets: new DatasetStore(store),
      models: new ModelStore(store),
      checkpoints,
      backend,
      logger,
      checkpointEvery: config.CHECKPOINT_EVERY_EPOCHS,
      budget: jobBudget(config),
    });
  } else {
    const processes = new ProcessRunner(config, logger);
    backend = await processes.warm();
    runner = processes;
  }
  logger.info(
    { backend, concurrency: config.WORKER_CONCURRENCY, isolation: config.TRAINING_ISOLATION },
    'TF.js backend selected',
  );

  const connection = createRedis(config, 'worker');
  const events = new JobEvents(connection, config.QUEUE_PREFIX);
  const active = new Map<string, ActiveJob>();
  let draining = false;
  const models = new ModelStore(store);
  const processor = createTrainingProcessor({
    runner,
    events,
    checkpoints,
    models,
    redis: connection,
    prefix: config.QUEUE_PREFIX,
    logger,
    active,
    draining: () => draining,
  });
  const worker = new Worker<TrainingPayload, TrainingResultValue>(QUEUES.training, processor, {
    connection,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    // A job whose worker died (its lock expired) is taken up again, within the same budget as other retries.
    maxStalledCount: config.JOB_ATTEMPTS - 1,
  });
  worker.on('failed', (job, err) => {
    logger.warn({ jobId: job?.id, err, attempts: job?.attemptsMade }, 'job failed');
    // Stall detection fails a job whose workers kept dying without any of them recording it: end it here,
    // cancelled if a cancel was accepted first. (A job that already ended keeps its terminal event.)
    if (!job?.id) return;
    const jobId = job.id;
    const { tenant } = job.data;
    void (async () => {
      if (!(await job.isFailed()) || (await events.ended(jobId))) return;
      await checkpoints.deleteAll(tenant, jobId);
      const ended = await events.endFailed(jobId, { error: failureOf(err.message, null) });
      const outputs = { models, checkpoints, redis: connection, prefix: config.QUEUE_PREFIX };
      if (ended === 'cancelled') await discardCancelledJob(outputs, tenant, jobId);
    })().catch((error: unknown) => logger.warn({ err: error }, 'could not record the failure'));
  });
  // Cut off from Redis for longer than the lock: the job is someone else's now; stop without a trace.
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) active.get(jobId)?.controller.abort('lost');
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  worker.on('completed', (job) =>
    logger.info({ jobId: job.id, modelId: job.returnvalue.modelId }, 'job completed'),
  );

  // Cancels arrive on a channel; a poll catches any the channel missed.
  const subscriber = connection.duplicate();
  await subscriber.subscribe(redisKeys.cancelChannel(config.QUEUE_PREFIX));
  subscriber.on('message', (_channel, jobId: string) => active.get(jobId)?.controller.abort('cancel'));
  const cancelPoll = setInterval(() => {
    for (const [jobId, job] of active) {
      void connection
        .exists(redisKeys.cancel(config.QUEUE_PREFIX, jobId))
        .then((found) => found && job.controller.abort('cancel'))
        .catch(() => undefined);
    }
  }, CANCEL_POLL_MS);

  const registry = new WorkerRegistry(
    connection,
    config.QUEUE_PREFIX,
    workerHeartbeatTtl(config.WORKER_HEARTBEAT_MS),
  );
  const info: WorkerInfo = {
    id: newId('wrk'),
    host: os.hostname(),
    pid: process.pid,
    backend: backend.name,
    device: backend.device,
    concurrency: config.WORKER_CONCURRENCY,
    jobs: [],
    samplesPerSecond: null,
    draining: false,
    startedAt: new Date().toISOString(),
    lastHeartbeat: new Date().toISOString(),
  };
  const beat = async () => {
    info.jobs = [...active].map(([id, job]) => ({ id, samplesPerSecond: job.samplesPerSecond }));
    const paces = info.jobs.flatMap((job) => (job.samplesPerSecond === null ? [] : [job.samplesPerSecond]));
    info.samplesPerSecond = paces.length > 0 ? paces.reduce((a, b) => a + b, 0) : null;
    info.draining = draining;
    info.lastHeartbeat = new Date().toISOString();
    await registry.beat(info);
  };
  const heartbeat = setInterval(
    () => void beat().catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed')),
    config.WORKER_HEARTBEAT_MS,
  );

  const metrics =
    config.WORKER_METRICS_PORT > 0
      ? await serveWorkerMetrics(worker, active, config.WORKER_METRICS_PORT, logger, () => {
          if (draining) return 'draining';
          if (!worker.isRunning()) return 'not running';
          if (connection.status !== 'ready') return `redis ${connection.status}`;
          return undefined;
        })
      : undefined;

  await worker.waitUntilReady();
  await beat();
  logger.info({ queue: QUEUES.training, prefix: config.QUEUE_PREFIX, workerId: info.id }, 'worker ready');

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      draining = true;
      logger.info({ jobs: [...active.keys()] }, 'draining: handing running jobs back with a checkpoint');
      // Past the bound, training processes are killed; their jobs go back from their last epoch checkpoint.
      const bound = setTimeout(() => {
        logger.warn('drain bound reached; stopping training processes');
        runner.kill();
      }, config.WORKER_DRAIN_TIMEOUT_MS);
      for (const job of active.values()) job.controller.abort('handoff');
      clearInterval(cancelPoll);
      await worker.close();
      clearTimeout(bound);
      clearInterval(heartbeat);
      await registry.remove(info.id).catch(() => undefined);
      await runner.close();
      metrics?.close();
      subscriber.disconnect();
      await worker.disconnect();
      connection.disconnect();
    })());
  return { worker, id: info.id, drainTimeoutMs: config.WORKER_DRAIN_TIMEOUT_MS, close };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  readDotEnv();
  startTrainer()
    .then((trainer) => {
      const stop = (signal: string) => {
        console.error(`${signal}: draining`);
        // Whatever hangs (Redis gone, say), the process ends soon after the drain bound.
        setTimeout(() => process.exit(1), trainer.drainTimeoutMs + 10_000).unref();
        trainer.close().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(error);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}

import type http from 'node:http';
import { pathToFileURL } from 'node:url';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { loadConfig, readDotEnv, type Config } from '../src/config.js';
import { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { JobEvents } from '../src/jobs/job-events.js';
import { JobLifecycle } from '../src/jobs/job-lifecycle.js';
import { releaseJobSlot } from '../src/quotas/tenant-quotas.js';
import { discardCancelledJob } from '../src/jobs/job-outputs.js';
import { failureOf } from '../src/jobs/job-outputs.js';
import { createLogger } from '../src/logger.js';
import { ModelStore } from '../src/models/model-store.js';
import {
  CANCELLED_REASON,
  QUEUES,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { archiveCancelled } from '../src/jobs/cancelled-jobs.js';
import { createRedis } from '../src/redis.js';
import { workerJobWebhooks } from '../src/webhooks/job-webhooks.js';
import type { BlobStore } from '../src/store/blob-store.js';
import { openStore } from '../src/store/open-store.js';
import { selectBackend, type BackendInfo } from '../src/tf/backend.js';
import { watchStopRequests } from './stop-requests.js';
import { runDeps } from './run-deps.js';
import { startHeartbeats, type Heartbeats } from './heartbeats.js';
import { startSweepWorker } from './sweep-worker.js';
import { serveWorkerMetrics } from './worker-metrics.js';
import { createTrainingProcessor, type ActiveJob, type ProcessorDeps } from './train.processor.js';
import { InlineRunner, ProcessRunner, type TrainingRunner } from './training-runner.js';

type TrainingWorker = Worker<TrainingPayload, TrainingResultValue>;
type TrainingJob = Job<TrainingPayload, TrainingResultValue>;

export interface Trainer {
  worker: TrainingWorker;
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
  const { runner, backend } = await selectRunner(config, store, checkpoints, logger);

  const connection = createRedis(config, 'worker');
  const state: WorkerState = { active: new Map(), draining: false };
  const deps = processorDeps(config, { connection, store, checkpoints, runner, logger, state });
  // The transitions this worker writes are announced to webhooks from here (enqueued; the API delivers them).
  const webhooks = workerJobWebhooks(config, connection, deps.models, (err) =>
    logger.warn({ err }, 'webhook queue error'),
  );
  webhooks.announceOn(deps.lifecycle);
  await webhooks.ready();
  const sweeps = startSweepWorker(config, {
    connection,
    events: deps.events,
    fanout: webhooks.fanout,
    logger,
  });
  deps.sweeps = sweeps.trialDeps;
  const worker = createWorker(config, deps);
  const stops = await watchStopRequests(connection, config.QUEUE_PREFIX, state.active);
  const heartbeats = startHeartbeats(config, connection, backend, state, logger);
  const metrics = await serveMetrics(config, worker, connection, state, logger);

  await worker.waitUntilReady();
  await heartbeats.beat();
  logger.info(
    { queue: QUEUES.training, prefix: config.QUEUE_PREFIX, workerId: heartbeats.id },
    'worker ready',
  );

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= drain(config, logger, {
      ...{ state, runner, worker, stops, heartbeats, metrics, connection },
      webhooks,
      sweeps,
    }));
  return { worker, id: heartbeats.id, drainTimeoutMs: config.WORKER_DRAIN_TIMEOUT_MS, close };
}

/** What the worker's parts share: the jobs running here, and whether it is shutting down. */
interface WorkerState {
  active: Map<string, ActiveJob>;
  draining: boolean;
}

/** The TF.js backend and where jobs train on it: in this process, or in training processes started warm. */
async function selectRunner(
  config: Config,
  store: BlobStore,
  checkpoints: CheckpointStore,
  logger: Logger,
): Promise<{ runner: TrainingRunner; backend: BackendInfo }> {
  let runner: TrainingRunner;
  let backend: BackendInfo;
  if (config.TRAINING_ISOLATION === 'inline') {
    backend = await selectBackend(config.TFJS_BACKEND, (kind, why) =>
      logger.debug({ backend: kind, why }, 'TF.js backend unavailable'),
    );
    runner = new InlineRunner(runDeps(config, { store, checkpoints, backend, logger }));
  } else {
    const processes = new ProcessRunner(config, logger);
    backend = await processes.warm();
    runner = processes;
  }
  logger.info(
    { backend, concurrency: config.WORKER_CONCURRENCY, isolation: config.TRAINING_ISOLATION },
    'TF.js backend selected',
  );
  return { runner, backend };
}

/** What the processor and the worker's listeners work with, the lifecycle that writes every status among it. */
function processorDeps(
  config: Config,
  parts: {
    connection: Redis;
    store: BlobStore;
    checkpoints: CheckpointStore;
    runner: TrainingRunner;
    logger: Logger;
    state: WorkerState;
  },
): ProcessorDeps {
  const { connection, store, checkpoints, runner, logger, state } = parts;
  const events = new JobEvents(connection, config.QUEUE_PREFIX);
  const lifecycle = new JobLifecycle(connection, config.QUEUE_PREFIX, (error, transition) =>
    logger.warn({ err: error, jobId: transition.jobId, status: transition.to }, 'job listener failed'),
  );
  // A job that ended frees its tenant's slot at once, in whichever process saw it end.
  lifecycle.onEnded(({ tenant, jobId }) => releaseJobSlot(connection, config.QUEUE_PREFIX, tenant, jobId));
  return {
    runner,
    events,
    lifecycle,
    checkpoints,
    models: new ModelStore(store),
    redis: connection,
    prefix: config.QUEUE_PREFIX,
    logger,
    active: state.active,
    draining: () => state.draining,
    progressEventIntervalMs: config.PROGRESS_EVENT_INTERVAL_MS,
  };
}

/** The BullMQ worker over the training queue, with concurrency and stall handling from config. */
function createWorker(config: Config, deps: ProcessorDeps): TrainingWorker {
  const { logger, active } = deps;
  const worker = new Worker<TrainingPayload, TrainingResultValue>(
    QUEUES.training,
    createTrainingProcessor(deps),
    {
      connection: deps.redis,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      // A job whose worker died (its lock expired) is taken up again, within the same budget as other retries.
      maxStalledCount: config.JOB_ATTEMPTS - 1,
    },
  );
  worker.on('failed', (job, err) => {
    logger.warn({ jobId: job?.id, err, attempts: job?.attemptsMade }, 'job failed');
    if (!job?.id) return;
    void recordFailure(deps, job, job.id, err).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not record the failure'),
    );
  });
  // Cut off from Redis for longer than the lock: the job is someone else's now; stop without a trace.
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) active.get(jobId)?.controller.abort('lost');
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  worker.on('completed', (job) =>
    logger.info({ jobId: job.id, modelId: job.returnvalue.modelId }, 'job completed'),
  );
  return worker;
}

/**
 * Stall detection fails a job whose workers kept dying without any of them recording it: end it here, cancelled
 * if a cancel was accepted first. (A job that already ended keeps its terminal event.)
 */
async function recordFailure(deps: ProcessorDeps, job: TrainingJob, jobId: string, err: Error) {
  const { redis, prefix, models, checkpoints, events, lifecycle } = deps;
  const { tenant } = job.data;
  // A cancel is no failure: the job leaves the failed jobs for the cancelled records.
  if (job.failedReason === CANCELLED_REASON) {
    await archiveCancelled(redis, prefix, job);
    return;
  }
  if (!(await job.isFailed()) || (await events.ended(jobId))) return;
  await checkpoints.deleteAll(tenant, jobId);
  const ended = await lifecycle.fail({ id: jobId, tenant }, { error: failureOf(err.message, null) });
  if (ended === 'cancelled') await discardCancelledJob({ models, checkpoints, redis, prefix }, tenant, jobId);
}

/** The metrics and health server, when a port is configured. */
async function serveMetrics(
  config: Config,
  worker: TrainingWorker,
  connection: Redis,
  state: WorkerState,
  logger: Logger,
): Promise<http.Server | undefined> {
  if (!(config.WORKER_METRICS_PORT > 0)) return undefined;
  return serveWorkerMetrics(worker, state.active, config.WORKER_METRICS_PORT, logger, () => {
    if (state.draining) return 'draining';
    if (!worker.isRunning()) return 'not running';
    if (connection.status !== 'ready') return `redis ${connection.status}`;
    return undefined;
  });
}

/** Hands running jobs back with a checkpoint and closes everything the worker opened, within the drain bound. */
async function drain(
  config: Config,
  logger: Logger,
  parts: {
    state: WorkerState;
    runner: TrainingRunner;
    worker: TrainingWorker;
    stops: { subscriber: Redis; poll: NodeJS.Timeout };
    heartbeats: Heartbeats;
    metrics: http.Server | undefined;
    connection: Redis;
    webhooks: { close: () => Promise<void> };
    sweeps: { close: () => Promise<void> };
  },
): Promise<void> {
  const { state, runner, worker, stops, heartbeats, metrics, connection } = parts;
  state.draining = true;
  logger.info({ jobs: [...state.active.keys()] }, 'draining: handing running jobs back with a checkpoint');
  // Past the bound, training processes are killed; their jobs go back from their last epoch checkpoint.
  const bound = setTimeout(() => {
    logger.warn('drain bound reached; stopping training processes');
    runner.kill();
  }, config.WORKER_DRAIN_TIMEOUT_MS);
  for (const job of state.active.values()) job.controller.abort('handoff');
  clearInterval(stops.poll);
  await worker.close();
  await parts.sweeps.close();
  clearTimeout(bound);
  await heartbeats.stop();
  await runner.close();
  metrics?.close();
  stops.subscriber.disconnect();
  await worker.disconnect();
  await parts.webhooks.close();
  connection.disconnect();
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

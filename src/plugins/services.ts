import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import fp from 'fastify-plugin';
import { DEFAULT_TENANT } from '../ids.js';
import { defaultHostCount, InferencePool } from '../inference/inference-pool.js';
import { Predictor } from '../inference/predictor.js';
import { CheckpointStore } from '../jobs/checkpoint-store.js';
import { JobEvents } from '../jobs/job-events.js';
import { JobLifecycle } from '../jobs/job-lifecycle.js';
import { jobBudget } from '../jobs/job-cost.js';
import {
  idempotencyTtlSeconds,
  JobRetention,
  retentionMs,
  scheduleSweeps,
  type RetentionSweeper,
} from '../jobs/job-retention.js';
import { JobService } from '../jobs/job-service.js';
import { AliasStore } from '../models/alias-store.js';
import { ModelProbe, probeOptions } from '../models/model-probe.js';
import { backendName, type BackendInfo } from '../tf/backend.js';
import { TenantQuotas } from '../quotas/tenant-quotas.js';
import { WorkerRegistry, workerHeartbeatTtl } from '../queue/worker-registry.js';
import { scheduleRetention } from './retention-schedule.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobService;
    jobEvents: JobEvents;
    /** Every transition of a job's status, and what listens for them. */
    jobLifecycle: JobLifecycle;
    checkpoints: CheckpointStore;
    workerRegistry: WorkerRegistry;
    predictor: Predictor;
    /** Proves that an uploaded model loads and predicts, in a throwaway process per upload. */
    modelProbe: ModelProbe;
    aliases: AliasStore;
    quotas: TenantQuotas;
  }
  interface FastifyRequest {
    /** The tenant the request acts for; every resource belongs to one. */
    tenant: string;
  }
}

/** Jobs and what they keep: events, checkpoints, status transitions, tenant quotas, and the live workers. */
function decorateJobs(app: FastifyInstance, aliases: AliasStore): void {
  const { config } = app;
  const events = new JobEvents(app.redis, config.QUEUE_PREFIX);
  const checkpoints = new CheckpointStore(app.blobStore, config.CHECKPOINT_KEEP);
  const quotas = new TenantQuotas(app.redis, app.trainingQueue, config.QUEUE_PREFIX, {
    maxActiveJobs: config.TENANT_MAX_ACTIVE_JOBS,
    maxStoredBytes: config.TENANT_MAX_STORED_BYTES,
  });
  app.decorate('quotas', quotas);
  app.decorate('jobEvents', events);
  app.decorate('checkpoints', checkpoints);
  app.decorate(
    'workerRegistry',
    new WorkerRegistry(app.redis, config.QUEUE_PREFIX, workerHeartbeatTtl(config.WORKER_HEARTBEAT_MS)),
  );
  const lifecycle = new JobLifecycle(app.redis, config.QUEUE_PREFIX, (error, transition) =>
    app.log.warn({ err: error, jobId: transition.jobId, status: transition.to }, 'job listener failed'),
  );
  // A job that ended frees its tenant's slot at once, in whichever process saw it end.
  lifecycle.onEnded(({ tenant, jobId }) => quotas.releaseJob(tenant, jobId));
  app.decorate('jobLifecycle', lifecycle);
  app.decorate(
    'jobs',
    new JobService({
      queue: app.trainingQueue,
      redis: app.redis,
      prefix: config.QUEUE_PREFIX,
      datasets: app.datasets,
      models: app.models,
      aliases,
      events,
      lifecycle,
      checkpoints,
      quotas,
      idempotencyTtlSeconds: idempotencyTtlSeconds(config.IDEMPOTENCY_TTL_SECONDS, config.JOB_RETENTION_DAYS),
      budget: jobBudget(config),
    }),
  );
  sweepFinishedJobs(app, checkpoints);
  retellUntold(app, lifecycle);
}

/**
 * Every JOB_RETELL_AFTER_MS, tells this process's listeners of status changes whose listeners never all ran (the
 * process that wrote one died first, or a listener failed): a webhook is announced, a quota slot freed, late but
 * once more. Listeners are idempotent, so two API instances doing this at once only repeat each other.
 */
function retellUntold(app: FastifyInstance, lifecycle: JobLifecycle): void {
  const everyMs = app.config.JOB_RETELL_AFTER_MS;
  let passes: RetentionSweeper | undefined;
  app.addHook('onReady', async () => {
    // Each pass after the last one ended: two at once here would tell the same changes together.
    passes = scheduleSweeps({ sweep: () => lifecycle.retell(everyMs) }, everyMs, {
      onError: (error) => app.log.warn({ err: error }, 'could not tell untold status changes'),
    });
  });
  // Before the Redis connection closes.
  app.addHook('preClose', async () => passes?.stop());
}

/** Removes finished jobs past JOB_RETENTION_DAYS every JOB_RETENTION_SWEEP_MS; one API instance at a time sweeps. */
function sweepFinishedJobs(app: FastifyInstance, checkpoints: CheckpointStore): void {
  const { config } = app;
  if (config.JOB_RETENTION_DAYS === 0) return;
  const retention = new JobRetention({
    queue: app.trainingQueue,
    redis: app.redis,
    prefix: config.QUEUE_PREFIX,
    checkpoints,
    retentionMs: retentionMs(config.JOB_RETENTION_DAYS),
  });
  scheduleRetention(app, retention, 'job-retention', 'finished jobs');
}

/** The probe of uploaded models, closed with the API. */
function decorateModelProbe(app: FastifyInstance): void {
  // Uploaded models are built only in probe processes of their own, never on the API's event loop.
  const probe = new ModelProbe(probeOptions(app.config, app.log.child({ component: 'model-probe' })));
  app.decorate('modelProbe', probe);
  app.addHook('onClose', async () => probe.close());
}

/** Whether inference hosts are threads or processes, from INFERENCE_ISOLATION and the backend. */
function inferenceIsolation(config: Config, backend: BackendInfo): 'thread' | 'process' {
  // Native TF.js keeps one TensorFlow runtime per process (a second thread would take over the first's), so
  // with a native backend each inference host is a process; with wasm or plain JS, a thread.
  const native = backend.name === 'tensorflow';
  if (native && config.INFERENCE_ISOLATION === 'thread') {
    throw new Error(
      'INFERENCE_ISOLATION=thread cannot be used with a native TF.js backend (one TensorFlow runtime per process); ' +
        'use process or auto',
    );
  }
  return config.INFERENCE_ISOLATION === 'auto' ? (native ? 'process' : 'thread') : config.INFERENCE_ISOLATION;
}

/** Starts the inference pool and the predictor over it, which follows model deletions on a subscriber of its own. */
async function decoratePredictor(app: FastifyInstance, aliases: AliasStore): Promise<void> {
  const { config } = app;
  const pool = await InferencePool.start({
    hosts: config.INFERENCE_HOSTS || defaultHostCount(availableParallelism()),
    isolation: inferenceIsolation(config, app.backend),
    maxBatch: config.PREDICT_MAX_BATCH,
    maxWaitMs: config.PREDICT_MAX_WAIT_MS,
    queueLimit: config.PREDICT_QUEUE_LIMIT,
    cacheBytes: config.MODEL_CACHE_BYTES,
    // Hosts take the backend this process took, and fail to start rather than fall back to another.
    config: { ...config, TFJS_BACKEND: backendName(app.backend) },
    logger: app.log.child({ component: 'inference' }),
  });
  const subscriber = app.redis.duplicate({ enableOfflineQueue: true });
  subscriber.on('error', (error) => app.log.warn({ err: error }, 'redis subscriber error'));
  app.addHook('onClose', async () => {
    subscriber.disconnect();
    await pool.close();
  });
  const predictor = new Predictor({
    models: app.models,
    aliases,
    pool,
    redis: app.redis,
    prefix: config.QUEUE_PREFIX,
    imageLimits: {
      maxFileBytes: config.DATASET_IMAGE_MAX_FILE_BYTES,
      maxPixels: config.DATASET_IMAGE_MAX_PIXELS,
    },
  });
  await predictor.followDeletions(subscriber);
  app.decorate('predictor', predictor);
}

/**
 * Our own services on top of the infrastructure: jobs, predictions, the probe of uploaded models, and the tenant
 * of each request.
 */
export default fp(
  async function servicesPlugin(app: FastifyInstance) {
    const aliases = new AliasStore(app.redis, app.config.QUEUE_PREFIX);
    app.decorate('aliases', aliases);
    decorateJobs(app, aliases);
    decorateModelProbe(app);
    await decoratePredictor(app, aliases);
    app.decorateRequest('tenant', DEFAULT_TENANT);
  },
  { name: 'services', dependencies: ['config', 'redis', 'stores'] },
);

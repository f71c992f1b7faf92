import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_TENANT } from '../ids.js';
import { defaultHostCount, InferencePool } from '../inference/inference-pool.js';
import { Predictor } from '../inference/predictor.js';
import { CheckpointStore } from '../jobs/checkpoint-store.js';
import { JobEvents } from '../jobs/job-events.js';
import { jobBudget } from '../jobs/job-cost.js';
import { JobService } from '../jobs/job-service.js';
import { AliasStore } from '../models/alias-store.js';
import { ModelProbe, probeOptions } from '../models/model-probe.js';
import { backendName } from '../tf/backend.js';
import { TenantQuotas } from '../quotas/tenant-quotas.js';
import { WorkerRegistry, workerHeartbeatTtl } from '../queue/worker-registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobService;
    jobEvents: JobEvents;
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

/**
 * Our own services on top of the infrastructure: jobs, predictions, the probe of uploaded models, and the tenant
 * of each request.
 */
export default fp(
  async function servicesPlugin(app: FastifyInstance) {
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
    app.decorate(
      'jobs',
      new JobService(
        app.trainingQueue,
        app.redis,
        config.QUEUE_PREFIX,
        app.datasets,
        app.models,
        events,
        checkpoints,
        { idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS, quotas, budget: jobBudget(config) },
      ),
    );
    app.decorate('aliases', new AliasStore(app.redis, config.QUEUE_PREFIX));
    // Uploaded models are built only in probe processes of their own, never on the API's event loop.
    const probe = new ModelProbe(probeOptions(config, app.log.child({ component: 'model-probe' })));
    app.decorate('modelProbe', probe);
    app.addHook('onClose', async () => probe.close());

    // Native TF.js keeps one TensorFlow runtime per process (a second thread would take over the first's), so
    // with a native backend each inference host is a process; with wasm or plain JS, a thread.
    const native = app.backend.name === 'tensorflow';
    if (native && config.INFERENCE_ISOLATION === 'thread') {
      throw new Error(
        'INFERENCE_ISOLATION=thread cannot be used with a native TF.js backend (one TensorFlow runtime per process); ' +
          'use process or auto',
      );
    }
    const isolation =
      config.INFERENCE_ISOLATION === 'auto' ? (native ? 'process' : 'thread') : config.INFERENCE_ISOLATION;
    const pool = await InferencePool.start({
      hosts: config.INFERENCE_HOSTS || defaultHostCount(availableParallelism()),
      isolation,
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
    const predictor = new Predictor(app.models, pool, app.redis, config.QUEUE_PREFIX);
    await predictor.followDeletions(subscriber);
    app.decorate('predictor', predictor);
    app.decorateRequest('tenant', DEFAULT_TENANT);
  },
  { name: 'services', dependencies: ['config', 'redis', 'stores'] },
);

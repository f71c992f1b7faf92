import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_TENANT } from '../ids.js';
import { Predictor } from '../inference/predictor.js';
import { CheckpointStore } from '../jobs/checkpoint-store.js';
import { JobEvents } from '../jobs/job-events.js';
import { JobService } from '../jobs/job-service.js';
import { WorkerRegistry, workerHeartbeatTtl } from '../queue/worker-registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobService;
    jobEvents: JobEvents;
    checkpoints: CheckpointStore;
    workerRegistry: WorkerRegistry;
    predictor: Predictor;
  }
  interface FastifyRequest {
    /** The tenant the request acts for; every resource belongs to one. */
    tenant: string;
  }
}

/** Our own services on top of the infrastructure: jobs, predictions, and the tenant of each request. */
export default fp(
  async function servicesPlugin(app: FastifyInstance) {
    const { config } = app;
    const events = new JobEvents(app.redis, config.QUEUE_PREFIX);
    const checkpoints = new CheckpointStore(app.blobStore, config.CHECKPOINT_KEEP);
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
        { idempotencyTtlSeconds: config.IDEMPOTENCY_TTL_SECONDS },
      ),
    );
    const predictor = new Predictor(app.models, app.config.MODEL_CACHE_BYTES);
    app.decorate('predictor', predictor);
    app.decorateRequest('tenant', DEFAULT_TENANT);
    app.addHook('onClose', async () => predictor.clear());
  },
  { name: 'services', dependencies: ['config', 'redis', 'stores'] },
);

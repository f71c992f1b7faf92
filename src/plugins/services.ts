import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_TENANT } from '../ids.js';
import { Predictor } from '../inference/predictor.js';
import { JobService } from '../jobs/job-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobService;
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
    app.decorate(
      'jobs',
      new JobService(app.trainingQueue, app.redis, app.config.QUEUE_PREFIX, app.datasets, app.models),
    );
    const predictor = new Predictor(app.models, app.config.MODEL_CACHE_BYTES);
    app.decorate('predictor', predictor);
    app.decorateRequest('tenant', DEFAULT_TENANT);
    app.addHook('onClose', async () => predictor.clear());
  },
  { name: 'services', dependencies: ['config', 'redis', 'stores'] },
);

import { once } from 'node:events';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { DatasetStore } from '../datasets/dataset-store.js';
import { DEFAULT_TENANT } from '../ids.js';
import { Predictor } from '../inference/predictor.js';
import { JobService } from '../jobs/job-service.js';
import { ModelStore } from '../models/model-store.js';
import {
  QUEUES,
  trainingJobOptions,
  type TrainingPayload,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import { createRedis } from '../redis.js';
import type { BlobStore } from '../store/blob-store.js';
import { FsStore } from '../store/fs-store.js';
import type { BackendInfo } from '../tf/backend.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    backend: BackendInfo;
    redis: Redis;
    trainingQueue: Queue<TrainingPayload, TrainingResultValue>;
    blobStore: BlobStore;
    datasets: DatasetStore;
    models: ModelStore;
    jobs: JobService;
    predictor: Predictor;
  }
  interface FastifyRequest {
    /** The tenant the request acts for; every resource belongs to one. */
    tenant: string;
  }
}

export interface ServicesOptions {
  config: Config;
  backend: BackendInfo;
}

/** The shared services the routes use, each closed when the app closes. */
export default fp<ServicesOptions>(
  async function servicesPlugin(app: FastifyInstance, { config, backend }) {
    app.decorate('config', config);
    app.decorate('backend', backend);

    const redis = createRedis(config.REDIS_URL, 'producer');
    redis.on('error', (error) => app.log.warn({ err: error }, 'redis connection error'));
    if (redis.status !== 'ready') await once(redis, 'ready');
    app.decorate('redis', redis);

    const queue = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
      connection: redis,
      prefix: config.QUEUE_PREFIX,
      defaultJobOptions: trainingJobOptions(config.JOB_ATTEMPTS),
    });
    app.decorate('trainingQueue', queue);

    const store = new FsStore(config.DATA_DIR);
    await store.check();
    app.decorate('blobStore', store as BlobStore);
    app.decorate('datasets', new DatasetStore(store));
    const models = new ModelStore(store);
    app.decorate('models', models);
    app.decorate('jobs', new JobService(queue, redis, config.QUEUE_PREFIX, app.datasets, models));
    const predictor = new Predictor(models, config.MODEL_CACHE_BYTES);
    app.decorate('predictor', predictor);

    app.decorateRequest('tenant', DEFAULT_TENANT);

    app.addHook('onClose', async () => {
      predictor.clear();
      await queue.close();
      redis.disconnect();
    });
  },
  { name: 'services' },
);

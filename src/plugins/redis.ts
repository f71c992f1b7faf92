import { once } from 'node:events';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import {
  QUEUES,
  trainingJobOptions,
  type TrainingPayload,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import { createRedis } from '../redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    trainingQueue: Queue<TrainingPayload, TrainingResultValue>;
  }
}

/** The producer connection to Redis and the training queue on it; closed with the app. */
export default fp(
  async function redisPlugin(app: FastifyInstance) {
    const redis = createRedis(app.config, 'producer');
    redis.on('error', (error) => app.log.warn({ err: error }, 'redis connection error'));
    if (redis.status !== 'ready') await once(redis, 'ready');
    const queue = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
      connection: redis,
      prefix: app.config.QUEUE_PREFIX,
      defaultJobOptions: trainingJobOptions(app.config.JOB_ATTEMPTS, app.config.JOB_BACKOFF_MS),
    });
    // A queue re-emits its connection's errors: logged, never thrown.
    queue.on('error', (error) => app.log.warn({ err: error }, 'training queue error'));
    app.decorate('redis', redis);
    app.decorate('trainingQueue', queue);
    app.addHook('onClose', async () => {
      await queue.close();
      redis.disconnect();
    });
  },
  { name: 'redis', dependencies: ['config'] },
);

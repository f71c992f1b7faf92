import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { WebhookDeliveryPayload } from '../queue/catalogue.js';
import { createRedis } from '../redis.js';
import { announceJobs, deliveryQueue } from '../webhooks/job-webhooks.js';
import { startDeliveryWorker } from '../webhooks/webhook-delivery.js';
import { WebhookFanout } from '../webhooks/webhook-fanout.js';
import { webhookMetrics } from '../webhooks/webhook-metrics.js';
import { WebhookStore } from '../webhooks/webhook-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: { store: WebhookStore; fanout: WebhookFanout };
  }
}

/** Delivers webhooks from this process, on a connection of its own; closed with the app. */
async function startDelivering(
  app: FastifyInstance,
  store: WebhookStore,
): Promise<Worker<WebhookDeliveryPayload>> {
  const { config } = app;
  const metrics = webhookMetrics();
  for (const metric of metrics.all) app.metrics.registry.registerMetric(metric);
  const connection = createRedis(config, 'worker');
  connection.on('error', (error) => app.log.warn({ err: error }, 'webhook worker redis error'));
  const worker = startDeliveryWorker(connection, config.QUEUE_PREFIX, config.WEBHOOK_CONCURRENCY, {
    store,
    metrics,
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    logger: app.log.child({ component: 'webhooks' }),
  });
  app.addHook('onClose', async () => {
    // Attempts under way finish (within WEBHOOK_TIMEOUT_MS); the rest wait in the queue for another process.
    await worker.close();
    connection.disconnect();
  });
  // Connected before the app is ready: a worker closed while its connections still start up fails after the close.
  await worker.waitUntilReady();
  return worker;
}

/**
 * Webhooks: the endpoints, the fan-out of events onto the delivery queue (job transitions this process writes,
 * uploaded models), and the delivery worker, which runs in the API (WEBHOOK_CONCURRENCY at once; 0: none here).
 */
export default fp(
  async function webhooksPlugin(app: FastifyInstance) {
    const { config } = app;
    const store = new WebhookStore(app.redis, config.QUEUE_PREFIX);
    const queue = deliveryQueue(config, app.redis);
    // A queue re-emits its connection's errors (one closed under it as the app stops, say): logged, never thrown.
    queue.on('error', (error) => app.log.warn({ err: error }, 'webhook queue error'));
    // Ready before the app is: a queue closed while its connection still starts up would fail after the close.
    await queue.waitUntilReady();
    app.addHook('onClose', async () => queue.close());
    const fanout = new WebhookFanout(store, queue);
    announceJobs(app.jobLifecycle, fanout, {
      readJob: (tenant, jobId) => app.jobs.get(tenant, jobId),
      readModel: (tenant, modelId) => app.models.get(tenant, modelId),
    });
    app.decorate('webhooks', { store, fanout });
    if (config.WEBHOOK_CONCURRENCY > 0) await startDelivering(app, store);
  },
  { name: 'webhooks', dependencies: ['config', 'redis', 'stores', 'services', 'metrics'] },
);

import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { JOB_STATUSES } from '../jobs/job-events.js';
import type { JobLifecycle, Transition } from '../jobs/job-lifecycle.js';
import { JobReader, type JobView } from '../jobs/job-view.js';
import type { ModelRecord, ModelStore } from '../models/model-store.js';
import {
  QUEUES,
  webhookJobOptions,
  type TrainingPayload,
  type TrainingResultValue,
  type WebhookDeliveryPayload,
} from '../queue/catalogue.js';
import { jobEventId, jobEventType, jobViewAt, modelEventId } from './webhook-events.js';
import { WebhookFanout } from './webhook-fanout.js';
import { WebhookStore } from './webhook-store.js';

/** Where an event's data is read: the job and the model as the REST API shows them. */
export interface EventSources {
  readJob(tenant: string, jobId: string): Promise<JobView>;
  readModel(tenant: string, modelId: string): Promise<ModelRecord | undefined>;
}

/** Announces a stored model as `model.created`, to the tenant's endpoints that want it. */
export function announceModel(
  fanout: WebhookFanout,
  tenant: string,
  modelId: string,
  timestamp: string,
  read: () => Promise<ModelRecord | undefined>,
): Promise<string[]> {
  return fanout.publish(tenant, { id: modelEventId(modelId), type: 'model.created', timestamp }, read);
}

/** The statuses a job is announced at: those registered as events (`job.<status>`; a success also announces its model). */
const ANNOUNCED_STATUSES = JOB_STATUSES.filter((status) => jobEventType(status) !== undefined);

/**
 * Announces the transitions `lifecycle` writes, to the statuses they are announced at: a status registered as an
 * event (`job.<status>`) is fanned out to the tenant's endpoints, with the job as GET /v1/jobs/:id shows it; a
 * success with a model also announces the model. The listener runs in the process whose write moved the job, once
 * per transition, and only enqueues.
 */
export function announceJobs(lifecycle: JobLifecycle, fanout: WebhookFanout, sources: EventSources): void {
  lifecycle.onStatus(async (transition: Transition): Promise<void> => {
    const { tenant, jobId, to, at } = transition;
    const type = jobEventType(to);
    if (type) {
      await fanout.publish(tenant, { id: jobEventId(transition), type, timestamp: at }, async () =>
        jobViewAt(await sources.readJob(tenant, jobId), transition),
      );
    }
    const { modelId } = transition.data;
    if (to === 'succeeded' && typeof modelId === 'string')
      await announceModel(fanout, tenant, modelId, at, () => sources.readModel(tenant, modelId));
  }, ANNOUNCED_STATUSES);
}

/** The delivery queue as a producer, with its default options from config. */
export function deliveryQueue(config: Config, connection: Redis): Queue<WebhookDeliveryPayload> {
  return new Queue<WebhookDeliveryPayload>(QUEUES.webhooks, {
    connection,
    prefix: config.QUEUE_PREFIX,
    defaultJobOptions: webhookJobOptions(config.WEBHOOK_RETRY_SPAN_MS, config.WEBHOOK_BACKOFF_MS),
  });
}

/**
 * Webhooks as a training worker announces the transitions it writes: the listener, over the worker's connection
 * (jobs read from the training queue as the API reads them), and what closes its queues.
 */
export function workerJobWebhooks(
  config: Config,
  connection: Redis,
  models: ModelStore,
  onError: (error: Error) => void,
) {
  const training = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
    connection,
    prefix: config.QUEUE_PREFIX,
  });
  const reader = new JobReader(training, connection, config.QUEUE_PREFIX);
  const deliveries = deliveryQueue(config, connection);
  // Queues re-emit their connection's errors (one closed under them as the worker stops): logged, never thrown.
  for (const queue of [training, deliveries]) queue.on('error', onError);
  const fanout = new WebhookFanout(new WebhookStore(connection, config.QUEUE_PREFIX), deliveries);
  const sources: EventSources = {
    readJob: (tenant, jobId) => reader.get(tenant, jobId),
    readModel: (tenant, modelId) => models.get(tenant, modelId),
  };
  const announceOn = (lifecycle: JobLifecycle) => announceJobs(lifecycle, fanout, sources);
  const close = async () => {
    await deliveries.close();
    await training.close();
  };
  /** Both queues connected: one closed while its connection still starts up would fail after the close. */
  const ready = () => Promise.all([training.waitUntilReady(), deliveries.waitUntilReady()]);
  return { announceOn, fanout, ready, close };
}

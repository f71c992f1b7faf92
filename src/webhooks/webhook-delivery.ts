import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkOutboundUrl, OutboundUrlError } from '../net/outbound-address.js';
import { QUEUES, type WebhookDeliveryPayload } from '../queue/catalogue.js';
import type { WebhookEventType } from './webhook-events.js';
import { recordAttemptMetrics, type WebhookMetrics } from './webhook-metrics.js';
import { TenantSlots } from './tenant-slots.js';
import { sendSigned, type SendResult } from './webhook-sender.js';
import type { DeliveryAttempt, WebhookStore, WebhookWithSecret } from './webhook-store.js';

export interface DeliveryOptions {
  store: WebhookStore;
  metrics: WebhookMetrics;
  /** WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** WEBHOOK_TIMEOUT_MS: one attempt, from connecting to the end of the response. */
  timeoutMs: number;
  /** WEBHOOK_CONCURRENCY of the worker running it, shared between tenants ({@link TenantSlots}); none if left out. */
  concurrency?: number;
}

/** How long a delivery that found no slot for its tenant waits in the delayed set before it is taken up again. */
export const SHARE_WAIT_MS = 1_000;

type DeliveryJob = Job<WebhookDeliveryPayload>;

/** What the worker logs through: pino's, or Fastify's over it. */
interface Logger {
  debug(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** One attempt: the URL checked again (its address may have changed since registration), then the request. */
async function attemptOnce(
  options: DeliveryOptions,
  webhook: WebhookWithSecret,
  payload: WebhookDeliveryPayload,
): Promise<{ result: SendResult; refused: boolean }> {
  try {
    const target = await checkOutboundUrl(webhook.url, {
      allowPrivate: options.allowPrivate,
      resolveTimeoutMs: options.timeoutMs,
    });
    const request = { eventId: payload.eventId, body: payload.body, secret: webhook.secret };
    return { result: await sendSigned(target, request, options.timeoutMs), refused: false };
  } catch (error) {
    if (!(error instanceof OutboundUrlError)) throw error;
    // A name that does not resolve may resolve later: retried. A private address is refused for good.
    const result = { statusCode: null, latencyMs: 0, error: `url ${error.message}` };
    return { result, refused: error.reason !== 'unresolvable' };
  }
}

/**
 * Sends one attempt of a delivery, logs it with the endpoint, and fails the job for BullMQ to retry it (with
 * backoff, the same `webhook-id`) unless it was delivered or refused. A delivery whose endpoint was deleted or
 * disabled meanwhile is dropped without an attempt.
 */
async function attemptDelivery(options: DeliveryOptions, job: DeliveryJob): Promise<'delivered' | 'dropped'> {
  const { tenant, webhookId, eventId, eventType, timestamp } = job.data;
  const webhook = await options.store.getSigning(tenant, webhookId);
  if (!webhook?.enabled) return 'dropped';
  const number = job.attemptsMade + 1;
  const { result, refused } = await attemptOnce(options, webhook, job.data);
  const outcome = result.error === null ? 'delivered' : refused ? 'refused' : 'failed';
  const attempt: DeliveryAttempt = {
    deliveryId: job.id!,
    eventId,
    eventType: eventType as WebhookEventType,
    attempt: number,
    outcome,
    statusCode: result.statusCode,
    latencyMs: result.latencyMs,
    error: result.error,
    retrying: outcome === 'failed' && number < (job.opts.attempts ?? 1),
    at: new Date().toISOString(),
  };
  await options.store.recordAttempt(tenant, webhookId, attempt);
  recordAttemptMetrics(options.metrics, attempt, timestamp);
  if (outcome === 'refused') throw new UnrecoverableError(result.error!);
  if (outcome === 'failed') throw new Error(result.error!);
  return 'delivered';
}

/**
 * The processor of the delivery queue: one attempt of a delivery (see {@link attemptDelivery}). A delivery whose
 * tenant has no slot free in this process ({@link TenantSlots}) waits {@link SHARE_WAIT_MS} in the delayed set
 * instead, without using up an attempt.
 */
export function createDeliveryProcessor(options: DeliveryOptions) {
  const slots = options.concurrency === undefined ? undefined : new TenantSlots(options.concurrency);
  return async function deliver(job: DeliveryJob, token?: string): Promise<'delivered' | 'dropped'> {
    const release = slots ? await slots.take(job.data.tenant) : () => undefined;
    if (!release) {
      await job.moveToDelayed(Date.now() + SHARE_WAIT_MS, token);
      throw new DelayedError();
    }
    try {
      return await attemptDelivery(options, job);
    } finally {
      release();
    }
  };
}

/** The delivery worker: a BullMQ worker over the delivery queue on a connection of its own. */
export function startDeliveryWorker(
  connection: Redis,
  prefix: string,
  concurrency: number,
  options: DeliveryOptions & { logger: Pick<Logger, 'debug' | 'warn'> },
): Worker<WebhookDeliveryPayload> {
  const processor = createDeliveryProcessor({ ...options, concurrency });
  const worker = new Worker<WebhookDeliveryPayload>(QUEUES.webhooks, processor, {
    connection,
    prefix,
    concurrency,
  });
  worker.on('failed', (job, err) =>
    options.logger.debug({ deliveryId: job?.id, attempts: job?.attemptsMade, err }, 'webhook attempt failed'),
  );
  worker.on('error', (err) => options.logger.warn({ err }, 'webhook delivery worker error'));
  return worker;
}

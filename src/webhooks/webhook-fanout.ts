import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { WebhookDeliveryPayload } from '../queue/catalogue.js';
import { payloadBody, type WebhookEvent, type WebhookEventType } from './webhook-events.js';
import type { WebhookStore } from './webhook-store.js';

export type DeliveryQueue = Queue<WebhookDeliveryPayload>;

export const DELIVERY_ID_PATTERN = '^dlv_[0-9a-f]{32}$';

/**
 * The id of the delivery of one event to one endpoint, which is also its BullMQ job id: the same event announced
 * twice for an endpoint (by two processes, say) is one job, so one delivery.
 */
export const deliveryId = (eventId: string, webhookId: string) =>
  `dlv_${createHash('sha256').update(`${eventId}\n${webhookId}`).digest('hex').slice(0, 32)}`;

/** What asking for a delivery to be sent again did. */
export type Redelivery =
  /** It had finished, delivered or not: it is sent again now, numbered on from its last attempt. */
  | 'requeued'
  /** It was waiting out a backoff: it is sent now. */
  | 'promoted'
  /** It is being sent, or about to be: nothing more to do. */
  | 'pending';

/**
 * Turns events into deliveries: one BullMQ job per event and subscribed endpoint on the delivery queue. Only
 * enqueues; the delivery worker sends (src/webhooks/webhook-delivery.ts).
 */
export class WebhookFanout {
  constructor(
    private readonly store: WebhookStore,
    readonly queue: DeliveryQueue,
  ) {}

  /**
   * Enqueues a delivery of the event to each enabled endpoint of the tenant that subscribed to its type. The
   * event's data is read only when some endpoint wants it (`data`: undefined drops the event). Returns the
   * delivery ids; a delivery already enqueued is left as it is.
   */
  async publish(
    tenant: string,
    event: { id: string; type: WebhookEventType; timestamp: string },
    data: () => Promise<unknown>,
  ): Promise<string[]> {
    const endpoints = (await this.store.list(tenant)).filter(
      (webhook) => webhook.enabled && webhook.events.includes(event.type),
    );
    if (endpoints.length === 0) return [];
    const resolved = await data();
    if (resolved === undefined) return [];
    const body = payloadBody({ ...event, data: resolved } satisfies WebhookEvent);
    const jobs = endpoints.map((webhook) => ({
      name: event.type,
      data: {
        tenant,
        webhookId: webhook.id,
        eventId: event.id,
        eventType: event.type,
        timestamp: event.timestamp,
        body,
      },
      opts: { jobId: deliveryId(event.id, webhook.id) },
    }));
    await this.queue.addBulk(jobs);
    return jobs.map((job) => job.opts.jobId);
  }

  /**
   * Sends a delivery of the tenant's endpoint again, with the same `webhook-id` and body; undefined when there is
   * no such delivery (or it is no longer kept).
   */
  async redeliver(tenant: string, webhookId: string, id: string): Promise<Redelivery | undefined> {
    const job = await this.queue.getJob(id);
    if (!job || job.data.tenant !== tenant || job.data.webhookId !== webhookId) return undefined;
    const state = await job.getState();
    try {
      if (state === 'completed' || state === 'failed') {
        await job.retry(state);
        return 'requeued';
      }
      if (state === 'delayed') {
        await job.promote();
        return 'promoted';
      }
    } catch {
      // It moved on meanwhile (a worker took it up, or it became due): it is on its way.
    }
    return 'pending';
  }
}

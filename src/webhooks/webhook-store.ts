import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { newId } from '../ids.js';
import { Nullable } from '../jobs/job-view.js';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.js';
import { RedisScript } from '../redis-script.js';

export const WebhookEventsSchema = Type.Array(Type.Enum(WEBHOOK_EVENT_TYPES), {
  minItems: 1,
  maxItems: WEBHOOK_EVENT_TYPES.length,
  uniqueItems: true,
  description: 'The event types it receives',
});

/** An endpoint as the API shows it: never with its secret, but where it was made or its secret rotated. */
export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    events: WebhookEventsSchema,
    description: Type.String(),
    enabled: Type.Boolean({
      description: 'A disabled endpoint gets nothing, not even deliveries queued before',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Webhook' },
);
export type Webhook = Static<typeof WebhookSchema>;

/** An endpoint with its signing secret: the answer to creating one and to rotating its secret, and only those. */
export const WebhookWithSecretSchema = Type.Intersect(
  [
    WebhookSchema,
    Type.Object({
      secret: Type.String({
        description:
          '`whsec_` and base64 of 32 random bytes: verify deliveries with it (Standard Webhooks). Shown only now',
      }),
    }),
  ],
  { title: 'WebhookWithSecret' },
);
export type WebhookWithSecret = Static<typeof WebhookWithSecretSchema>;

/** What can be changed of an endpoint. */
export interface WebhookChanges {
  url?: string;
  events?: WebhookEventType[];
  description?: string;
  enabled?: boolean;
}

/** One attempt to deliver an event to an endpoint, as GET /v1/webhooks/:id/deliveries lists it. */
export const DeliveryAttemptSchema = Type.Object(
  {
    deliveryId: Type.String({
      description: 'The delivery (one event to this endpoint); send it again by this id',
    }),
    eventId: Type.String({ description: 'The `webhook-id` header, the same on every attempt' }),
    eventType: Type.Enum(WEBHOOK_EVENT_TYPES),
    attempt: Type.Integer({ minimum: 1 }),
    outcome: Type.Enum(['delivered', 'failed', 'refused'], {
      description: 'delivered: a 2xx; failed: anything else; refused: the URL is not allowed, never retried',
    }),
    statusCode: Nullable(Type.Integer({ description: "The endpoint's HTTP status, if it answered" })),
    latencyMs: Type.Number({ description: 'From sending the request to its response (or the failure)' }),
    error: Nullable(Type.String()),
    retrying: Type.Boolean({ description: 'Another attempt follows (after a backoff)' }),
    at: Type.String({ format: 'date-time' }),
  },
  { title: 'DeliveryAttempt' },
);
export type DeliveryAttempt = Static<typeof DeliveryAttemptSchema>;

/** How many attempts an endpoint's log keeps: the newest. */
export const ATTEMPTS_KEPT = 200;

/** A new signing secret in the Standard Webhooks form. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

// Creates an endpoint unless the tenant has ARGV[1] already: 0 then.
const CREATE = new RedisScript(`
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
return 1`);

// Merges changes into an endpoint that exists, in Redis so that two changes at once both apply; the endpoint
// after them, or false.
const UPDATE = new RedisScript(`
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return false end
local endpoint = cjson.decode(stored)
for name, value in pairs(cjson.decode(ARGV[2])) do endpoint[name] = value end
local updated = cjson.encode(endpoint)
redis.call('HSET', KEYS[1], ARGV[1], updated)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
return updated`);

// Logs an attempt of an endpoint that still exists, keeping the newest ARGV[3].
const RECORD_ATTEMPT = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
return 1`);

/**
 * A tenant's webhook endpoints in Redis: each as JSON in one hash per tenant, their secrets in another (read only
 * to sign), and a capped log of delivery attempts per endpoint.
 */
export class WebhookStore {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  /** Makes an endpoint with a new secret; null when the tenant has `max` already. */
  async create(
    tenant: string,
    fields: { url: string; events: WebhookEventType[]; description?: string },
    max: number,
  ): Promise<WebhookWithSecret | null> {
    const now = new Date().toISOString();
    const webhook: Webhook = {
      id: newId('whk'),
      url: fields.url,
      events: fields.events,
      description: fields.description ?? '',
      enabled: true,
      createdAt: now,
      updatedAt: now,
    };
    const secret = newWebhookSecret();
    const keys = [this.keys.webhooks(tenant), this.keys.webhookSecrets(tenant)];
    const made = await CREATE.run(this.redis, keys, [max, webhook.id, JSON.stringify(webhook), secret]);
    return made === 1 ? { ...webhook, secret } : null;
  }

  /** The tenant's endpoints, oldest first. */
  async list(tenant: string): Promise<Webhook[]> {
    const all = await this.redis.hvals(this.keys.webhooks(tenant));
    return all.map((json) => JSON.parse(json) as Webhook).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async get(tenant: string, id: string): Promise<Webhook | undefined> {
    const json = await this.redis.hget(this.keys.webhooks(tenant), id);
    return json ? (JSON.parse(json) as Webhook) : undefined;
  }

  /** The endpoint with its secret, to sign a delivery. */
  async getSigning(tenant: string, id: string): Promise<WebhookWithSecret | undefined> {
    const [json, secret] = await Promise.all([
      this.redis.hget(this.keys.webhooks(tenant), id),
      this.redis.hget(this.keys.webhookSecrets(tenant), id),
    ]);
    return json && secret ? { ...(JSON.parse(json) as Webhook), secret } : undefined;
  }

  /** Applies `changes`; the endpoint after them, or undefined when there is no such endpoint. */
  async update(tenant: string, id: string, changes: WebhookChanges): Promise<Webhook | undefined> {
    return this.merge(tenant, id, { ...changes, updatedAt: new Date().toISOString() }, '');
  }

  /** Gives the endpoint a new secret, which signs every attempt from now on (retries of earlier events too). */
  async rotateSecret(tenant: string, id: string): Promise<WebhookWithSecret | undefined> {
    const secret = newWebhookSecret();
    const webhook = await this.merge(tenant, id, { updatedAt: new Date().toISOString() }, secret);
    return webhook && { ...webhook, secret };
  }

  private async merge(
    tenant: string,
    id: string,
    changes: Record<string, unknown>,
    secret: string,
  ): Promise<Webhook | undefined> {
    const keys = [this.keys.webhooks(tenant), this.keys.webhookSecrets(tenant)];
    const updated = (await UPDATE.run(this.redis, keys, [id, JSON.stringify(changes), secret])) as
      string | null;
    return updated ? (JSON.parse(updated) as Webhook) : undefined;
  }

  /** Deletes an endpoint, its secret and its log; false when there was none. */
  async delete(tenant: string, id: string): Promise<boolean> {
    const [[, removed]] = (await this.redis
      .multi()
      .hdel(this.keys.webhooks(tenant), id)
      .hdel(this.keys.webhookSecrets(tenant), id)
      .del(this.keys.webhookAttempts(tenant, id))
      .exec()) as [[Error | null, number]];
    return removed === 1;
  }

  /** Logs an attempt, unless the endpoint has been deleted meanwhile. */
  async recordAttempt(tenant: string, id: string, attempt: DeliveryAttempt): Promise<void> {
    const keys = [this.keys.webhooks(tenant), this.keys.webhookAttempts(tenant, id)];
    await RECORD_ATTEMPT.run(this.redis, keys, [id, JSON.stringify(attempt), ATTEMPTS_KEPT]);
  }

  /** The endpoint's newest `limit` attempts, newest first. */
  async attempts(tenant: string, id: string, limit: number): Promise<DeliveryAttempt[]> {
    const entries = await this.redis.lrange(this.keys.webhookAttempts(tenant, id), 0, limit - 1);
    return entries.map((json) => JSON.parse(json) as DeliveryAttempt);
  }
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { badRequest, conflict, notFound, ProblemError } from '../errors.js';
import { idPattern } from '../ids.js';
import { checkOutboundUrl, OutboundUrlError, parseOutboundUrl } from '../net/outbound-address.js';
import { DELIVERY_ID_PATTERN } from '../webhooks/webhook-fanout.js';
import {
  ATTEMPTS_KEPT,
  DeliveryAttemptSchema,
  WebhookEventsSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
  type Webhook,
} from '../webhooks/webhook-store.js';
import type { RouteApp } from './route-app.js';
import { IdParams, problems } from './schemas.js';

/** The longest URL an endpoint may have, as given and as stored (percent-encoded). */
const MAX_URL_LENGTH = 2048;
const UrlSchema = Type.String({
  minLength: 1,
  maxLength: MAX_URL_LENGTH,
  description:
    'Absolute http or https URL, without credentials; private addresses only with WEBHOOK_ALLOW_PRIVATE',
});
const DescriptionSchema = Type.String({ maxLength: 500 });
const CreateBody = Type.Object(
  { url: UrlSchema, events: WebhookEventsSchema, description: Type.Optional(DescriptionSchema) },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  {
    url: Type.Optional(UrlSchema),
    events: Type.Optional(WebhookEventsSchema),
    description: Type.Optional(DescriptionSchema),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
const DeliveryParams = Type.Object({
  id: Type.String({ pattern: idPattern('whk') }),
  deliveryId: Type.String({ pattern: DELIVERY_ID_PATTERN }),
});
const DeliveriesQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: ATTEMPTS_KEPT, default: 50 })) },
  { additionalProperties: false },
);
const Redelivered = Type.Object({
  deliveryId: Type.String(),
  status: Type.Enum(['requeued', 'promoted', 'pending'], {
    description:
      'requeued: it had finished and is sent again now; promoted: its next retry is now; pending: it is on its way',
  }),
});

/**
 * The URL an endpoint may have: it parses (400 naming the field otherwise) and resolves to public addresses
 * unless WEBHOOK_ALLOW_PRIVATE (422 otherwise). Each delivery checks it again. Returns it as the URL parser
 * reads it, which is what is stored and shown: the address deliveries go to, not a spelling that another parser
 * may read otherwise (`http://2130706433/`, `https://a.example\@b.example/`, spaces around it).
 */
async function checkUrl(app: RouteApp, url: string): Promise<string> {
  try {
    const parsed = parseOutboundUrl(url);
    if (parsed.href.length > MAX_URL_LENGTH)
      throw badRequest('validation_failed', `body/url is over ${MAX_URL_LENGTH} characters once encoded`, {
        field: '/body/url',
      });
    await checkOutboundUrl(parsed, { allowPrivate: app.config.WEBHOOK_ALLOW_PRIVATE });
    return parsed.href;
  } catch (error) {
    if (!(error instanceof OutboundUrlError)) throw error;
    if (error.reason === 'invalid_url')
      throw badRequest('validation_failed', `body/url ${error.message}`, { field: '/body/url' });
    throw new ProblemError(422, 'webhook_url_refused', `body/url: ${error.message}`, {
      field: '/body/url',
      reason: error.reason,
    });
  }
}

/** The tenant's endpoint, or a 404: another tenant's is as if it did not exist. */
async function getWebhook(app: RouteApp, tenant: string, id: string): Promise<Webhook> {
  const webhook = await app.webhooks.store.get(tenant, id);
  if (!webhook) throw notFound('webhook', id);
  return webhook;
}

/** POST /, GET /, GET /:id. */
function registerEndpoints(app: RouteApp): void {
  app.post(
    '/',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        summary: 'Register a webhook endpoint; the answer holds its signing secret, shown only this once',
        body: CreateBody,
        response: { 201: WebhookWithSecretSchema, ...problems(400, 409, 422) },
      },
    },
    async (request, reply) => {
      const url = await checkUrl(app, request.body.url);
      const max = app.config.WEBHOOK_MAX_ENDPOINTS;
      const made = await app.webhooks.store.create(request.tenant, { ...request.body, url }, max);
      if (!made)
        throw conflict('webhook_limit_reached', `a tenant has at most ${max} webhook endpoints`, {
          limit: max,
        });
      return reply.code(201).header('location', `/v1/webhooks/${made.id}`).send(made);
    },
  );

  app.get(
    '/',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        summary: 'List webhook endpoints, oldest first',
        response: { 200: Type.Object({ items: Type.Array(WebhookSchema) }) },
      },
    },
    async (request) => ({ items: await app.webhooks.store.list(request.tenant) }),
  );

  app.get(
    '/:id',
    {
      config: { scope: 'webhooks:read' },
      schema: { params: IdParams('whk'), response: { 200: WebhookSchema, ...problems(400, 404) } },
    },
    async (request) => getWebhook(app, request.tenant, request.params.id),
  );
}

/** PATCH /:id, POST /:id/rotate-secret, DELETE /:id. */
function registerChanges(app: RouteApp): void {
  app.patch(
    '/:id',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        summary: 'Change an endpoint: its url, events, description, or whether it is enabled',
        params: IdParams('whk'),
        body: UpdateBody,
        response: { 200: WebhookSchema, ...problems(400, 404, 422) },
      },
    },
    async (request) => {
      await getWebhook(app, request.tenant, request.params.id);
      const { url, ...changes } = request.body;
      const checked = url === undefined ? {} : { url: await checkUrl(app, url) };
      const updated = await app.webhooks.store.update(request.tenant, request.params.id, {
        ...changes,
        ...checked,
      });
      if (!updated) throw notFound('webhook', request.params.id);
      return updated;
    },
  );

  app.post(
    '/:id/rotate-secret',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        summary:
          'Give an endpoint a new signing secret, shown only this once; it signs every attempt from now on',
        params: IdParams('whk'),
        response: { 200: WebhookWithSecretSchema, ...problems(400, 404) },
      },
    },
    async (request) => {
      const rotated = await app.webhooks.store.rotateSecret(request.tenant, request.params.id);
      if (!rotated) throw notFound('webhook', request.params.id);
      return rotated;
    },
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'webhooks:write' },
      schema: { params: IdParams('whk'), response: { 204: Type.Null(), ...problems(400, 404) } },
    },
    async (request, reply) => {
      if (!(await app.webhooks.store.delete(request.tenant, request.params.id)))
        throw notFound('webhook', request.params.id);
      return reply.code(204).send(null);
    },
  );
}

/** GET /:id/deliveries, POST /:id/deliveries/:deliveryId/redeliver. */
function registerDeliveries(app: RouteApp): void {
  app.get(
    '/:id/deliveries',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        summary: "An endpoint's latest delivery attempts, newest first",
        params: IdParams('whk'),
        querystring: DeliveriesQuery,
        response: { 200: Type.Object({ items: Type.Array(DeliveryAttemptSchema) }), ...problems(400, 404) },
      },
    },
    async (request) => {
      const { tenant, params } = request;
      await getWebhook(app, tenant, params.id);
      return { items: await app.webhooks.store.attempts(tenant, params.id, request.query.limit ?? 50) };
    },
  );

  app.post(
    '/:id/deliveries/:deliveryId/redeliver',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        summary: 'Send a delivery again: the same event, body and webhook-id',
        params: DeliveryParams,
        response: { 202: Redelivered, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      const { id, deliveryId } = request.params;
      await getWebhook(app, request.tenant, id);
      const status = await app.webhooks.fanout.redeliver(request.tenant, id, deliveryId);
      if (!status) throw notFound('delivery', deliveryId);
      return reply.code(202).send({ deliveryId, status });
    },
  );
}

/** Webhook endpoints of the tenant: signed deliveries of job and model events (docs/webhooks.md). */
export default async function webhookRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  registerEndpoints(app);
  registerChanges(app);
  registerDeliveries(app);
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SSEReplyInterface } from '@fastify/sse';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { SweepRequestSchema } from '../sweeps/sweep-spec.js';
import { SweepViewSchema } from '../sweeps/sweep-view.js';
import {
  eventsPage,
  EventsHeaders,
  EventsPage,
  EventsQuery,
  nothingMore,
  streamEvents,
} from './event-stream.js';
import type { RouteApp } from './route-app.js';
import { IdempotencyHeaders, IdParams, PageOf, pageOf, PageQuery, problems } from './schemas.js';

/** POST / and POST /:id/cancel. */
function registerWrites(app: RouteApp): void {
  app.post(
    '/',
    {
      config: { scope: 'jobs:write' },
      schema: {
        summary: 'Start a hyperparameter sweep',
        description:
          'Checks every trial as a job submission would (a 4xx names the space entry or job field a trial fails on), then queues the sweep: one training job per trial, `parallel` of them running at once, each watched and cancelled as any job. Trials count against the tenant’s active jobs from now on.',
        headers: IdempotencyHeaders,
        body: SweepRequestSchema,
        response: { 200: SweepViewSchema, 201: SweepViewSchema, ...problems(400, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const { sweep, created } = await app.sweeps.submit(
        request.tenant,
        request.body,
        request.headers['idempotency-key'],
      );
      if (!created) return reply.code(200).header('idempotent-replayed', 'true').send(sweep);
      request.log.info({ sweepId: sweep.id, trials: sweep.trials.length }, 'sweep queued');
      return reply.code(201).header('location', `/v1/sweeps/${sweep.id}`).send(sweep);
    },
  );
  app.post(
    '/:id/cancel',
    {
      config: { scope: 'jobs:write' },
      schema: {
        summary: 'Cancel a sweep',
        description:
          'No further trial starts; every unfinished trial is cancelled as a job is. The sweep ends `cancelled` once its trials have (202 while they stop; 200 once it has). A finished sweep is 409.',
        params: IdParams('swp'),
        response: { 200: SweepViewSchema, 202: SweepViewSchema, ...problems(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const sweep = await app.sweeps.cancel(request.tenant, request.params.id);
      return reply.code(sweep.status === 'cancelled' ? 200 : 202).send(sweep);
    },
  );
}

/** GET / and GET /:id. */
function registerReads(app: RouteApp): void {
  app.get(
    '/',
    {
      config: { scope: 'jobs:read' },
      schema: {
        summary: 'List sweeps, newest first',
        querystring: PageQuery('swp'),
        response: {
          200: PageOf(SweepViewSchema),
          ...problems(400),
        },
      },
    },
    async (request) => app.sweeps.list(request.tenant, pageOf(request.query)),
  );
  app.get(
    '/:id',
    {
      config: { scope: 'jobs:read' },
      schema: {
        summary: 'A sweep: its trials, their settings and metric, and the best so far',
        params: IdParams('swp'),
        response: { 200: SweepViewSchema, ...problems(400, 404) },
      },
    },
    async (request) => app.sweeps.get(request.tenant, request.params.id),
  );
}

/** GET /:id/events, as Server-Sent Events or JSON pages, as for a job. */
function registerEvents(app: RouteApp, streams: Set<AbortController>): void {
  app.get(
    '/:id/events',
    {
      config: { scope: 'jobs:read' },
      sse: { kind: 'dual', heartbeat: true },
      schema: {
        summary:
          "The sweep's events: its status, its trials starting and ending, and the trials stopped early",
        params: IdParams('swp'),
        headers: EventsHeaders,
        querystring: EventsQuery,
        response: {
          200: EventsPage,
          204: Type.Null({
            description: 'Event stream only: the sweep has ended and there is nothing after',
          }),
          ...problems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const sse = reply.sse as SSEReplyInterface | undefined;
      const { after = '0', limit = 100 } = request.query;
      if (!sse) {
        const items = await app.sweeps.readEvents(request.tenant, id, after, limit);
        return eventsPage(items, () => app.jobEvents.ended(id));
      }
      await app.sweeps.get(request.tenant, id);
      const from = request.headers['last-event-id'] ?? after;
      if (await nothingMore(app, id, from)) return reply.code(204).send(null);
      await streamEvents(app, streams, sse, { id, after: from });
    },
  );
}

export default async function sweepRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const streams = new Set<AbortController>();
  app.addHook('preClose', async () => streams.forEach((stream) => stream.abort()));
  registerWrites(app);
  registerReads(app);
  registerEvents(app, streams);
}

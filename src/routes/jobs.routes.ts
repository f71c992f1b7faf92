import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { SSEReplyInterface } from '@fastify/sse';
import {
  eventsPage,
  EventsHeaders,
  EventsPage,
  EventsQuery,
  nothingMore,
  streamEvents,
} from './event-stream.js';
import { idPattern } from '../ids.js';
import { CheckpointInfoSchema } from '../jobs/checkpoint-store.js';
import { JobRequestSchema } from '../jobs/job-spec.js';
import { JobStatusSchema, JobViewSchema, Nullable } from '../jobs/job-view.js';
import type { RouteApp } from './route-app.js';
import { IdParams, IdempotencyHeaders, problems, pageOf, DEFAULT_PAGE_SIZE } from './schemas.js';

const JobListQuery = Type.Object(
  {
    status: Type.Optional(JobStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
    cursor: Type.Optional(Type.String({ pattern: idPattern('job') })),
  },
  { additionalProperties: false },
);
/** POST /: a job submitted, or the one an earlier request with the same idempotency key submitted. */
function registerSubmit(app: RouteApp): void {
  app.post(
    '/',
    {
      config: { scope: 'jobs:write' },
      schema: {
        summary: 'Submit a training job',
        headers: IdempotencyHeaders,
        body: JobRequestSchema,
        response: { 200: JobViewSchema, 201: JobViewSchema, ...problems(400, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const { job, created } = await app.jobs.submit(
        request.tenant,
        request.body,
        request.headers['idempotency-key'],
      );
      if (!created) return reply.code(200).header('idempotent-replayed', 'true').send(job);
      request.log.info({ jobId: job.id }, 'job queued');
      return reply.code(201).header('location', `/v1/jobs/${job.id}`).send(job);
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
        summary: 'List jobs, newest first',
        querystring: JobListQuery,
        response: {
          200: Type.Object({ items: Type.Array(JobViewSchema), nextCursor: Nullable(Type.String()) }),
          ...problems(400),
        },
      },
    },
    async (request) => app.jobs.list(request.tenant, pageOf(request.query)),
  );

  app.get(
    '/:id',
    {
      config: { scope: 'jobs:read' },
      schema: { params: IdParams('job'), response: { 200: JobViewSchema, ...problems(400, 404) } },
    },
    async (request) => app.jobs.get(request.tenant, request.params.id),
  );
}

/** POST /:id/cancel. */
function registerCancel(app: RouteApp): void {
  app.post(
    '/:id/cancel',
    {
      config: { scope: 'jobs:write' },
      schema: {
        summary: 'Cancel a job',
        description:
          'A queued job ends cancelled at once (200). A running one stops within a batch on whichever worker runs it, its training process killed past JOB_STOP_GRACE_MS (202; it then always ends cancelled, with no model and no checkpoints). Cancelling again is fine; a finished job is 409.',
        params: IdParams('job'),
        response: { 200: JobViewSchema, 202: JobViewSchema, ...problems(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { job, accepted } = await app.jobs.cancel(request.tenant, request.params.id);
      if (accepted) request.log.info({ jobId: job.id }, 'cancel requested');
      return reply.code(accepted ? 202 : 200).send(job);
    },
  );
}

/** POST /:id/pause and /:id/resume. */
function registerPauseAndResume(app: RouteApp): void {
  app.post(
    '/:id/pause',
    {
      config: { scope: 'jobs:write' },
      schema: {
        summary: 'Pause a job',
        description:
          'A queued job is held at once (200, `paused`). A running one checkpoints at its next batch, then becomes `paused` and frees its worker slot (202, `pauseRequested`). A paused job survives restarts of every process and can be cancelled. Pausing a paused job again is fine; a finished job, or one being cancelled, is 409.',
        params: IdParams('job'),
        response: { 200: JobViewSchema, 202: JobViewSchema, ...problems(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { job, accepted } = await app.jobs.pause(request.tenant, request.params.id);
      if (accepted) request.log.info({ jobId: job.id }, 'pause requested');
      return reply.code(accepted ? 202 : 200).send(job);
    },
  );
  app.post(
    '/:id/resume',
    {
      config: { scope: 'jobs:write' },
      schema: {
        summary: 'Resume a paused job',
        description:
          'Queues a paused job again (or withdraws a pause its worker has not reached yet); it goes on from the checkpoint it paused at and ends as an uninterrupted run would. A job that is not paused is 409.',
        params: IdParams('job'),
        response: { 200: JobViewSchema, ...problems(400, 404, 409) },
      },
    },
    async (request) => app.jobs.resume(request.tenant, request.params.id),
  );
}

/** GET /:id/events, as Server-Sent Events or JSON pages; `streams` holds the open streams. */
function registerEvents(app: RouteApp, streams: Set<AbortController>): void {
  app.get(
    '/:id/events',
    {
      config: { scope: 'jobs:read' },
      sse: { kind: 'dual', heartbeat: true },
      schema: {
        summary: "The job's events: Server-Sent Events, or JSON pages",
        description:
          'With `Accept: text/event-stream`: a live stream of the events after `Last-Event-ID` (or `after`), ending after the terminal status; keep-alive comments while idle. Otherwise: JSON, up to `limit` events after `after`.',
        params: IdParams('job'),
        headers: EventsHeaders,
        querystring: EventsQuery,
        response: {
          200: EventsPage,
          204: Type.Null({
            description: 'Event stream only: the job has ended and there is nothing after Last-Event-ID',
          }),
          ...problems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const sse = reply.sse as SSEReplyInterface | undefined;
      if (!sse) {
        const { after = '0', limit = 100 } = request.query;
        const items = await app.jobs.readEvents(request.tenant, id, after, limit);
        return eventsPage(items, () => app.jobEvents.ended(id));
      }
      const lastEventId = request.headers['last-event-id'];
      await app.jobs.getSettled(request.tenant, id);
      const after = lastEventId ?? request.query.after ?? '0';
      // Nothing more will come: 204 tells an EventSource to stop reconnecting.
      if (await nothingMore(app, id, after)) return reply.code(204).send(null);
      await streamEvents(app, streams, sse, { id, after, settle: () => app.jobs.settle(id) });
    },
  );
}

/** GET /:id/checkpoints. */
function registerCheckpoints(app: RouteApp): void {
  app.get(
    '/:id/checkpoints',
    {
      config: { scope: 'jobs:read' },
      schema: {
        summary: "The running job's checkpoints, oldest first",
        description: 'Kept while the job runs (the newest CHECKPOINT_KEEP); deleted when it ends.',
        params: IdParams('job'),
        response: { 200: Type.Object({ items: Type.Array(CheckpointInfoSchema) }), ...problems(400, 404) },
      },
    },
    async (request) => {
      const job = await app.jobs.get(request.tenant, request.params.id);
      return { items: await app.checkpoints.list(request.tenant, job.id) };
    },
  );
}

export default async function jobRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const streams = new Set<AbortController>();
  // Open event streams would hold a graceful shutdown up: they end first, and clients reconnect elsewhere.
  app.addHook('preClose', async () => streams.forEach((stream) => stream.abort()));
  // In the order they were always registered: the OpenAPI document lists routes in this order.
  registerSubmit(app);
  registerReads(app);
  registerCancel(app);
  registerPauseAndResume(app);
  registerEvents(app, streams);
  registerCheckpoints(app);
}

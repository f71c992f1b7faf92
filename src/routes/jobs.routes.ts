import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { SSEReplyInterface } from '@fastify/sse';
import { idPattern } from '../ids.js';
import { CheckpointInfoSchema } from '../jobs/checkpoint-store.js';
import { EVENT_ID_PATTERN, isTerminal, JOB_STATUSES, JobEventSchema } from '../jobs/job-events.js';
import { JobRequestSchema } from '../jobs/job-spec.js';
import { EpochRowSchema } from '../models/model-store.js';
import { IdParams, problems, pageOf, DEFAULT_PAGE_SIZE } from './schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const Metric = Nullable(Type.Number());
const Status = Type.Enum([...JOB_STATUSES]);

export const JobViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  queuePosition: Nullable(
    Type.Integer({
      description: "While queued: 1 runs next of the tenant's own jobs (others' are not counted)",
    }),
  ),
  progress: Nullable(
    Type.Object({
      phase: Type.Enum(['head', 'fine-tune']),
      epoch: Type.Integer(),
      epochs: Type.Integer(),
      batch: Type.Integer(),
      batches: Type.Integer(),
      fraction: Type.Number(),
      samplesPerSecond: Metric,
      etaSeconds: Metric,
    }),
  ),
  etaSeconds: Nullable(Type.Number({ description: 'While running: seconds left at the current pace' })),
  cancelRequested: Type.Boolean({
    description: 'A cancel was asked for; the worker running the job stops within a batch',
  }),
  metrics: Type.Object({
    loss: Type.Optional(Metric),
    accuracy: Type.Optional(Metric),
    val_loss: Type.Optional(Metric),
    val_accuracy: Type.Optional(Metric),
  }),
  history: Type.Array(EpochRowSchema),
  modelId: Nullable(Type.String()),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  backend: Nullable(Type.Object({ name: Type.String(), device: Type.String() })),
  attempts: Type.Integer(),
  spec: Type.Object(
    {},
    { additionalProperties: true, description: 'The request with every default filled in' },
  ),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'Makes retries safe: the same key and body give the same job (for 24 h by default)',
    }),
  ),
});

export default async function jobRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const streams = new Set<AbortController>();
  // Open event streams would hold a graceful shutdown up: they end first, and clients reconnect elsewhere.
  app.addHook('preClose', async () => streams.forEach((stream) => stream.abort()));

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

  app.get(
    '/',
    {
      config: { scope: 'jobs:read' },
      schema: {
        summary: 'List jobs, newest first',
        querystring: Type.Object(
          {
            status: Type.Optional(Status),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
            cursor: Type.Optional(Type.String({ pattern: idPattern('job') })),
          },
          { additionalProperties: false },
        ),
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
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: EVENT_ID_PATTERN })) }),
        querystring: Type.Object(
          {
            after: Type.Optional(Type.String({ pattern: EVENT_ID_PATTERN, default: '0' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(JobEventSchema),
            ended: Type.Boolean({
              description: "This page holds the job's terminal event, or there is nothing after it",
            }),
          }),
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
        return {
          items,
          ended: items.some(isTerminal) || (items.length === 0 && (await app.jobEvents.ended(id))),
        };
      }
      const lastEventId = request.headers['last-event-id'];
      await app.jobs.getSettled(request.tenant, id);
      const after = lastEventId ?? request.query.after ?? '0';
      // Nothing more will come: 204 tells an EventSource to stop reconnecting.
      if ((await app.jobEvents.ended(id)) && (await app.jobEvents.read(id, after, 1)).length === 0) {
        return reply.code(204).send(null);
      }
      const stream = new AbortController();
      streams.add(stream);
      sse.onClose(() => stream.abort());
      try {
        const events = app.jobEvents.follow(id, after, stream.signal, {
          idleMs: app.config.SSE_HEARTBEAT_MS,
          onIdle: () => app.jobs.settle(id),
        });
        await sse.send(
          (async function* () {
            for await (const event of events) yield { id: event.id, event: event.type, data: event };
          })(),
        );
      } finally {
        streams.delete(stream);
      }
    },
  );

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

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { JobRequestSchema } from '../jobs/job-spec.js';
import { idPattern } from '../ids.js';
import { EpochRowSchema } from '../models/model-store.js';
import { IdParams, problems } from './schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const Metric = Nullable(Type.Number());
const Status = Type.Enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const JobViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  queuePosition: Nullable(Type.Integer({ description: 'While queued: 1 runs next' })),
  progress: Nullable(
    Type.Object({
      phase: Type.Enum(['head', 'fine-tune']),
      epoch: Type.Integer(),
      epochs: Type.Integer(),
      batch: Type.Integer(),
      batches: Type.Integer(),
      fraction: Type.Number(),
      samplesPerSecond: Metric,
    }),
  ),
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

export default async function jobRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/',
    {
      schema: {
        summary: 'Submit a training job',
        body: JobRequestSchema,
        response: { 201: JobViewSchema, ...problems(400, 404, 415, 422) },
      },
    },
    async (request, reply) => {
      const job = await app.jobs.submit(request.tenant, request.body);
      request.log.info({ jobId: job.id }, 'job queued');
      return reply.code(201).header('location', `/v1/jobs/${job.id}`).send(job);
    },
  );

  app.get(
    '/',
    {
      schema: {
        summary: 'List jobs, newest first',
        querystring: Type.Object(
          {
            status: Type.Optional(Status),
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
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
    async (request) => app.jobs.list(request.tenant, request.query),
  );

  app.get(
    '/:id',
    { schema: { params: IdParams('job'), response: { 200: JobViewSchema, ...problems(400, 404) } } },
    async (request) => app.jobs.get(request.tenant, request.params.id),
  );
}

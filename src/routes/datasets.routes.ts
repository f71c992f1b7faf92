import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { DatasetSchema } from '../datasets/dataset-store.js';
import {
  FORMAT_NAMES,
  FORMAT_OPTIONS,
  formatForMediaType,
  MEDIA_TYPES,
  mediaTypesTaking,
  type RegisteredFormat,
} from '../datasets/formats/index.js';
import { badRequest, notFound, ProblemError } from '../errors.js';
import { utf8Body } from '../http/charset.js';
import { newId } from '../ids.js';
import type { RouteApp } from './route-app.js';
import { IdParams, PageOf, PageQuery, problems, pageOf } from './schemas.js';

/** 'a', 'a or b', 'a, b or c'. */
const orList = (items: readonly string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

/** The upload's format, from its Content-Type; a 415 listing the accepted types when no format takes it. */
function formatOf(contentType: string | undefined): RegisteredFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const format = formatForMediaType(type);
  if (!format) {
    throw new ProblemError(415, 'unsupported_media_type', `send ${orList(MEDIA_TYPES)}, not '${type}'`);
  }
  return format;
}

/** Refuses query options that the upload's format does not read. */
function checkOptions(format: RegisteredFormat, options: Record<string, unknown>): void {
  for (const [option, value] of Object.entries(options)) {
    if (value === undefined || Object.hasOwn(format.options, option)) continue;
    throw badRequest('invalid_dataset', `'${option}' applies only to ${orList(mediaTypesTaking(option))}`, {
      field: `/querystring/${option}`,
    });
  }
}

/** POST /: a dataset in any registered format, parsed and stored against the tenant's quota. */
function registerUpload(app: RouteApp): void {
  app.post(
    '/',
    {
      config: { scope: 'datasets:write', anyCharset: true },
      bodyLimit: app.config.DATASET_MAX_BYTES,
      schema: {
        summary: `Upload a dataset (${orList(FORMAT_NAMES.map((name) => name.toUpperCase()))})`,
        querystring: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            ...FORMAT_OPTIONS,
          },
          { additionalProperties: false },
        ),
        response: { 201: DatasetSchema, ...problems(400, 413, 415) },
      },
    },
    async (request, reply) => {
      const format = formatOf(request.headers['content-type']);
      const raw = request.body as Buffer;
      if (!Buffer.isBuffer(raw) || raw.byteLength === 0)
        throw badRequest('invalid_dataset', 'the body is empty');
      // Text is parsed as UTF-8 whatever charset it came in; its hash and size are of the bytes as sent.
      const body = format.kind === 'tabular' ? utf8Body(raw, request.headers['content-type']) : raw;
      const { name, ...options } = request.query;
      checkOptions(format, options);
      const parsed = await format.parse({ body }, options, { maxClasses: app.config.MAX_CLASSES });
      const id = newId('ds');
      const dataset = await app.quotas.storeCounted(request.tenant, id, raw.byteLength, () =>
        app.datasets.create(
          request.tenant,
          name ?? `dataset ${new Date().toISOString()}`,
          format.name,
          raw,
          parsed,
          id,
        ),
      );
      request.log.info({ datasetId: dataset.id, rows: dataset.rows }, 'dataset stored');
      return reply.code(201).header('location', `/v1/datasets/${dataset.id}`).send(dataset);
    },
  );
}

/** GET / and GET /:id. */
function registerReads(app: RouteApp): void {
  app.get(
    '/',
    {
      config: { scope: 'datasets:read' },
      schema: {
        summary: 'List datasets, newest first',
        querystring: PageQuery('ds'),
        response: { 200: PageOf(DatasetSchema), ...problems(400) },
      },
    },
    async (request) => app.datasets.list(request.tenant, pageOf(request.query)),
  );

  app.get(
    '/:id',
    {
      config: { scope: 'datasets:read' },
      schema: { params: IdParams('ds'), response: { 200: DatasetSchema, ...problems(400, 404) } },
    },
    async (request) => {
      const { id } = request.params;
      const dataset = await app.datasets.get(request.tenant, id);
      if (!dataset) throw notFound('dataset', id);
      return dataset;
    },
  );
}

/** DELETE /:id: a dataset that no job uses. */
function registerDelete(app: RouteApp): void {
  app.delete(
    '/:id',
    {
      config: { scope: 'datasets:write' },
      schema: { params: IdParams('ds'), response: { 204: Type.Null(), ...problems(400, 404, 409) } },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await app.datasets.get(request.tenant, id))) throw notFound('dataset', id);
      await app.jobs.deleteUnused(request.tenant, 'dataset', id, async () => {
        await app.datasets.delete(request.tenant, id);
        await app.quotas.releaseBytes(request.tenant, id);
      });
      return reply.code(204).send(null);
    },
  );
}

export default async function datasetRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Datasets arrive as raw bytes whatever their type: they are hashed as sent and parsed here, row by row.
  app.removeContentTypeParser([...MEDIA_TYPES]);
  app.addContentTypeParser([...MEDIA_TYPES], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // In the order they were always registered: the OpenAPI document lists routes in this order.
  registerUpload(app);
  registerReads(app);
  registerDelete(app);
}

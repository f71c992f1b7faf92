import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Readable } from 'node:stream';
import { DatasetSchema, DatasetStore, type Dataset } from '../datasets/dataset-store.js';
import {
  FORMAT_NAMES,
  FORMATS,
  FORMAT_OPTIONS,
  formatForMediaType,
  MEDIA_TYPES,
  mediaTypesTaking,
  type RegisteredFormat,
} from '../datasets/formats/index.js';
import { imageLimitsOf, overLimit } from '../datasets/images/image-limits.js';
import type { Column } from '../datasets/columns.js';
import { badRequest, notFound, ProblemError } from '../errors.js';
import { utf8Body } from '../http/charset.js';
import { newId } from '../ids.js';
import { registerSamples } from './dataset-samples.js';
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

/** The columns of the dataset `columnsFrom` names, to encode an upload as it is encoded; a 400 naming the field. */
async function columnsFrom(
  app: RouteApp,
  tenant: string,
  id: string | undefined,
  kinds: string | undefined,
): Promise<Column[] | undefined> {
  if (id === undefined) return undefined;
  const field = '/querystring/columnsFrom';
  if (kinds !== undefined)
    throw badRequest(
      'validation_failed',
      'give columns or columnsFrom, not both: columnsFrom fixes every column',
      {
        field: '/querystring/columns',
      },
    );
  const dataset = await app.datasets.get(tenant, id);
  if (!dataset) throw badRequest('validation_failed', `columnsFrom: there is no dataset ${id}`, { field });
  if (!dataset.columns)
    throw badRequest('validation_failed', `columnsFrom: dataset ${id} is not a CSV with columns`, { field });
  return dataset.columns;
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
        description:
          'Tabular formats are sent whole, up to DATASET_MAX_BYTES; image archives (zip, tar, tar.gz) as a stream, ' +
          'up to DATASET_ARCHIVE_MAX_BYTES, one folder per class.',
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
      const { name = `dataset ${new Date().toISOString()}`, ...options } = request.query;
      const id = newId('ds');
      const limits = { maxClasses: app.config.MAX_CLASSES, images: imageLimitsOf(app.config) };
      let dataset: Dataset;
      if (format.kind === 'image') {
        // Archives arrive as a stream (see the content-type parsers below), read as they come.
        checkOptions(format, options);
        // Fastify runs no parser for a body of length 0.
        if (!(request.body instanceof Readable)) throw badRequest('invalid_dataset', 'the body is empty');
        const declared = Number(request.headers['content-length']);
        if (declared > limits.images.maxArchiveBytes) {
          throw overLimit('maxArchiveBytes', limits.images, `the archive declares ${declared} bytes`);
        }
        const parsed = await format.parse({ stream: request.body }, options, limits);
        dataset = await app.quotas.storeCounted(
          request.tenant,
          id,
          DatasetStore.storedImageBytes(parsed),
          () => app.datasets.createImages(request.tenant, name, format.name, parsed, id),
        );
      } else {
        const raw = request.body as Buffer;
        if (!Buffer.isBuffer(raw) || raw.byteLength === 0)
          throw badRequest('invalid_dataset', 'the body is empty');
        // Text is parsed as UTF-8 whatever charset it came in; its hash and size are of the bytes as sent.
        const body = utf8Body(raw, request.headers['content-type']);
        checkOptions(format, options);
        const columns = await columnsFrom(app, request.tenant, options.columnsFrom, options.columns);
        const parsed = await format.parse({ body }, options, { ...limits, ...(columns && { columns }) });
        dataset = await app.quotas.storeCounted(request.tenant, id, raw.byteLength, () =>
          app.datasets.create(request.tenant, name, format.name, raw, parsed, id),
        );
      }
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
  // Datasets arrive as raw bytes whatever their type: they are hashed as sent and parsed here. Tabular ones are
  // buffered (up to the route's bodyLimit); image archives are handed over as the request stream itself, which
  // their parser reads, bounded, as it comes.
  const streamed = FORMATS.filter((format) => format.kind === 'image').flatMap((format) => format.mediaTypes);
  const buffered = MEDIA_TYPES.filter((type) => !streamed.includes(type));
  app.removeContentTypeParser([...MEDIA_TYPES]);
  app.addContentTypeParser(buffered, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(streamed, (_req, payload, done) => done(null, payload));
  // In the order they were always registered: the OpenAPI document lists routes in this order.
  registerUpload(app);
  registerReads(app);
  registerDelete(app);
  registerSamples(app);
}

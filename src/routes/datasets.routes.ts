import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { Type } from 'typebox';
import {
  parseCsv,
  parseJsonColumns,
  parseNdjson,
  type DatasetFormat,
  type ParsedDataset,
} from '../datasets/dataset-parser.js';
import { DatasetSchema } from '../datasets/dataset-store.js';
import { badRequest, notFound, ProblemError } from '../errors.js';
import { newId } from '../ids.js';
import { IdParams, PageOf, PageQuery, problems, pageOf } from './schemas.js';

const FORMATS: Record<string, DatasetFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/json': 'json',
};

export default async function datasetRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Datasets arrive as raw bytes whatever their type: they are hashed as sent and parsed here, row by row.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['text/csv', 'application/x-ndjson', 'application/json'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );

  app.post(
    '/',
    {
      config: { scope: 'datasets:write' },
      bodyLimit: app.config.DATASET_MAX_BYTES,
      schema: {
        summary: 'Upload a dataset (CSV, NDJSON or JSON)',
        querystring: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            labelColumn: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: DatasetSchema, ...problems(400, 413, 415) },
      },
    },
    async (request, reply) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const format = FORMATS[type];
      const body = request.body as Buffer;
      if (!format)
        throw new ProblemError(
          415,
          'unsupported_media_type',
          `send text/csv, application/x-ndjson or application/json, not '${type}'`,
        );
      if (!Buffer.isBuffer(body) || body.byteLength === 0)
        throw badRequest('invalid_dataset', 'the body is empty');
      const { name, labelColumn } = request.query;
      if (labelColumn && format !== 'csv')
        throw badRequest('invalid_dataset', "'labelColumn' applies only to text/csv", {
          field: '/querystring/labelColumn',
        });
      let parsed: ParsedDataset;
      const limits = { maxClasses: app.config.MAX_CLASSES };
      if (format === 'csv') parsed = await parseCsv(body, limits, labelColumn);
      else if (format === 'ndjson') parsed = await parseNdjson(body, limits);
      else {
        let json: unknown;
        try {
          json = secureJson.parse(body.toString('utf8'), undefined, {
            protoAction: 'error',
            constructorAction: 'error',
          });
        } catch (error) {
          throw badRequest('invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
        }
        parsed = await parseJsonColumns(json, limits);
      }
      const id = newId('ds');
      const dataset = await app.quotas.storeCounted(request.tenant, id, body.byteLength, () =>
        app.datasets.create(
          request.tenant,
          name ?? `dataset ${new Date().toISOString()}`,
          format,
          body,
          parsed,
          id,
        ),
      );
      request.log.info({ datasetId: dataset.id, rows: dataset.rows }, 'dataset stored');
      return reply.code(201).header('location', `/v1/datasets/${dataset.id}`).send(dataset);
    },
  );

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

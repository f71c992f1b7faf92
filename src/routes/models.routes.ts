import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { badRequest, conflict, notFound, ProblemError } from '../errors.js';
import { idPattern, newId } from '../ids.js';
import type { Prediction } from '../inference/predictor.js';
import { ALIAS_NAME_PATTERN, aliasNotFound } from '../models/alias-store.js';
import { modelLimits } from '../models/model-graph.js';
import { ModelSchema, type ModelRecord } from '../models/model-store.js';
import { checkUploadContents, validateUpload } from '../models/model-upload.js';
import { IdParams, PageOf, PageQuery, problems, pageOf } from './schemas.js';

const PredictRequest = Type.Object(
  {
    instances: Type.Array(Type.Unknown(), {
      minItems: 1,
      maxItems: 1000,
      description: 'Raw feature rows, flat or in the input shape',
    }),
    topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 3 })),
  },
  { additionalProperties: false },
);
const Label = Type.Object({ label: Type.String(), score: Type.Number() });
const PredictResponse = Type.Object({
  modelId: Type.String(),
  predictions: Type.Array(
    Type.Object({ label: Type.String(), score: Type.Number(), top: Type.Array(Label) }),
  ),
});
const MODEL_ID = new RegExp(idPattern('mdl'));
const IdOrAliasParams = Type.Object({
  idOrAlias: Type.String({
    pattern: `^(${idPattern('mdl').slice(1, -1)}|${ALIAS_NAME_PATTERN})$`,
    description: 'A model id, or the name of an alias pointing to one',
  }),
});
const FileParams = Type.Object({
  id: Type.String({ pattern: idPattern('mdl') }),
  file: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }),
});

export default async function modelRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(multipart, {
    limits: { fileSize: app.config.MODEL_MAX_BYTES, files: 64, fields: 8, parts: 72, fieldSize: 64 * 1024 },
  });

  const limits = modelLimits(app.config);

  const getRecord = async (tenant: string, id: string): Promise<ModelRecord> => {
    const record = await app.models.get(tenant, id);
    if (!record) throw notFound('model', id);
    return record;
  };

  app.post(
    '/',
    {
      config: { scope: 'models:write' },
      bodyLimit: app.config.MODEL_MAX_BYTES,
      schema: {
        summary:
          'Upload a TF.js LayersModel (multipart: model.json and its weight files; optional fields name, labels)',
        consumes: ['multipart/form-data'],
        response: { 201: ModelSchema, ...problems(400, 406, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new ProblemError(415, 'unsupported_media_type', 'upload the model as multipart/form-data');
      const files = new Map<string, Buffer>();
      const fields: Record<string, string> = {};
      let total = 0;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            fields[part.fieldname] = String(part.value);
            continue;
          }
          const data = await part.toBuffer();
          total += data.byteLength;
          if (total > app.config.MODEL_MAX_BYTES) {
            throw new ProblemError(
              413,
              'model_too_large',
              `the model's files exceed MODEL_MAX_BYTES (${app.config.MODEL_MAX_BYTES} bytes)`,
            );
          }
          const name = part.filename;
          if (files.has(name))
            throw badRequest('invalid_model', `the file '${name}' was uploaded twice`, { file: name });
          files.set(name, data);
        }
      } catch (error) {
        if (error instanceof ProblemError || (error as { statusCode?: number }).statusCode) throw error;
        // Cut off, or without a boundary: what the multipart parser could not read.
        throw badRequest(
          'invalid_multipart',
          `the multipart body cannot be read: ${(error as Error).message}`,
        );
      }
      const upload = validateUpload(files);
      let labels: string[] | null = null;
      if (fields.labels !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(fields.labels);
        } catch {
          parsed = undefined;
        }
        if (
          !Array.isArray(parsed) ||
          !parsed.every((l) => typeof l === 'string' && l.length > 0 && l.length <= 200)
        ) {
          throw badRequest('invalid_model', "the 'labels' field must be a JSON array of non-empty strings", {
            field: 'labels',
          });
        }
        labels = parsed as string[];
      }
      await checkUploadContents(upload, limits);
      const report = await app.modelProbe.probe(upload);
      const outputs = report.outputShape.at(-1);
      if (labels && outputs !== labels.length) {
        throw badRequest(
          'invalid_model',
          `'labels' has ${labels.length} entries but the model outputs ${outputs} values`,
          { field: 'labels' },
        );
      }
      const record: ModelRecord = {
        id: newId('mdl'),
        name: fields.name?.slice(0, 200) || 'uploaded model',
        source: 'upload',
        inputShape: report.inputShape,
        labels,
        layers: report.layers,
        defaultCutLayer: report.defaultCutLayer,
        preprocessing: null,
        metrics: {},
        evaluation: null,
        history: [],
        lineage: { jobId: null, baseModelId: null, datasetId: null, datasetSha256: null },
        backend: null,
        files: [...upload.files.keys()],
        sizeBytes: upload.sizeBytes,
        createdAt: new Date().toISOString(),
      };
      await app.quotas.storeCounted(request.tenant, record.id, record.sizeBytes, () =>
        app.models.create(request.tenant, record, upload.files),
      );
      return reply.code(201).header('location', `/v1/models/${record.id}`).send(record);
    },
  );

  app.get(
    '/',
    {
      config: { scope: 'models:read' },
      schema: {
        summary: 'List models, newest first',
        querystring: PageQuery('mdl'),
        response: { 200: PageOf(ModelSchema), ...problems(400) },
      },
    },
    async (request) => app.models.list(request.tenant, pageOf(request.query)),
  );

  app.get(
    '/:id',
    {
      config: { scope: 'models:read' },
      schema: { params: IdParams('mdl'), response: { 200: ModelSchema, ...problems(400, 404) } },
    },
    async (request) => getRecord(request.tenant, request.params.id),
  );

  app.delete(
    '/:id',
    {
      config: { scope: 'models:write' },
      schema: { params: IdParams('mdl'), response: { 204: Type.Null(), ...problems(400, 404, 409) } },
    },
    async (request, reply) => {
      const { id } = request.params;
      await getRecord(request.tenant, id);
      const aliases = await app.aliases.guardDelete(request.tenant, id);
      if (aliases.length > 0) {
        throw conflict(
          'model_aliased',
          `model ${id} is what ${aliases.map((name) => `'${name}'`).join(', ')} points to: move or delete the alias first`,
          { aliases },
        );
      }
      await app.jobs.deleteUnused(request.tenant, 'model', id, async () => {
        await app.models.delete(request.tenant, id);
        await app.quotas.releaseBytes(request.tenant, id);
        // After the files are gone, so that no instance loads it again from a record read just before.
        await app.predictor.forget(request.tenant, id);
      });
      return reply.code(204).send(null);
    },
  );

  // model.json and the weight files it names, so that tf.loadLayersModel('<base>/v1/models/ID/model.json') works.
  app.get(
    '/:id/:file',
    {
      config: { scope: 'models:read' },
      schema: {
        params: FileParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      const { id, file } = request.params;
      const record = await getRecord(request.tenant, id);
      if (!record.files.includes(file))
        throw new ProblemError(404, 'file_not_found', `model ${id} has no file '${file}'`, { file });
      const data = await app.models.file(request.tenant, id, file);
      if (!data) throw new ProblemError(404, 'file_not_found', `model ${id} has no file '${file}'`, { file });
      return reply
        .type(file === 'model.json' ? 'application/json' : 'application/octet-stream')
        .header('cache-control', 'private, max-age=31536000, immutable')
        .send(data);
    },
  );

  app.post(
    '/:idOrAlias/predict',
    {
      // The multipart parser of uploads is registered for this whole scope; predictions take JSON only.
      preValidation: async (request) => {
        if (request.isMultipart())
          throw new ProblemError(415, 'unsupported_media_type', 'send the instances as application/json');
      },
      config: { scope: 'predict' },
      schema: {
        summary: 'Predict with a model, named by its id or by an alias',
        params: IdOrAliasParams,
        body: PredictRequest,
        response: { 200: PredictResponse, ...problems(400, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const { idOrAlias } = request.params;
      const { instances, topK } = request.body;
      let id = idOrAlias;
      if (!MODEL_ID.test(idOrAlias)) {
        const alias = await app.aliases.get(request.tenant, idOrAlias);
        if (!alias) throw aliasNotFound(idOrAlias);
        id = alias.modelId;
      }
      const record = await app.predictor.record(request.tenant, id);
      if (!record) throw notFound('model', id);
      const stop = app.metrics.predictSeconds.startTimer();
      let predictions: Prediction[];
      try {
        predictions = await app.predictor.predict(request.tenant, record, instances, topK ?? 3);
        stop({ outcome: 'ok' });
      } catch (error) {
        stop({ outcome: error instanceof ProblemError ? error.code : 'error' });
        throw error;
      }
      return reply.header('x-model-id', record.id).send({ modelId: record.id, predictions });
    },
  );
}

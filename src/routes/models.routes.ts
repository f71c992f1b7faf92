import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { conflict, notFound, ProblemError } from '../errors.js';
import { idPattern } from '../ids.js';
import { ALIAS_NAME_PATTERN } from '../models/alias-store.js';
import { registerUpload } from './model-uploads.js';
import { ModelSchema, type ModelRecord } from '../models/model-store.js';
import type { RouteApp } from './route-app.js';
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

/** The tenant's model, or a 404. */
async function getRecord(app: RouteApp, tenant: string, id: string): Promise<ModelRecord> {
  const record = await app.models.get(tenant, id);
  if (!record) throw notFound('model', id);
  return record;
}

/** GET / and GET /:id. */
function registerReads(app: RouteApp): void {
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
    async (request) => getRecord(app, request.tenant, request.params.id),
  );
}

/** Deletes a model that no alias points to and no job uses, then drops it from the inference caches. */
async function deleteModel(app: RouteApp, tenant: string, id: string): Promise<void> {
  await getRecord(app, tenant, id);
  const aliases = await app.aliases.guardDelete(tenant, id);
  if (aliases.length > 0) {
    throw conflict(
      'model_aliased',
      `model ${id} is what ${aliases.map((name) => `'${name}'`).join(', ')} points to: move or delete the alias first`,
      { aliases },
    );
  }
  await app.jobs.deleteUnused(tenant, 'model', id, async () => {
    await app.models.delete(tenant, id);
    await app.quotas.releaseBytes(tenant, id);
    // After the files are gone, so that no instance loads it again from a record read just before.
    await app.predictor.forget(tenant, id);
  });
}

/** DELETE /:id. */
function registerDelete(app: RouteApp): void {
  app.delete(
    '/:id',
    {
      config: { scope: 'models:write' },
      schema: { params: IdParams('mdl'), response: { 204: Type.Null(), ...problems(400, 404, 409) } },
    },
    async (request, reply) => {
      await deleteModel(app, request.tenant, request.params.id);
      return reply.code(204).send(null);
    },
  );
}

/** GET /:id/:file: model.json and the weight files it names, so that tf.loadLayersModel('<base>/v1/models/ID/model.json') works. */
function registerFiles(app: RouteApp): void {
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
      const record = await getRecord(app, request.tenant, id);
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
}

/** The multipart parser of uploads is registered for this whole scope; predictions take JSON only. */
async function refuseMultipart(request: FastifyRequest): Promise<void> {
  if (request.isMultipart())
    throw new ProblemError(415, 'unsupported_media_type', 'send the instances as application/json');
}

/** POST /:idOrAlias/predict. */
function registerPredict(app: RouteApp): void {
  app.post(
    '/:idOrAlias/predict',
    {
      preValidation: refuseMultipart,
      config: { scope: 'predict' },
      schema: {
        summary: 'Predict with a model, named by its id or by an alias',
        params: IdOrAliasParams,
        body: PredictRequest,
        response: { 200: PredictResponse, ...problems(400, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const { instances, topK } = request.body;
      const { modelId, predictions } = await app.predictor.serve(
        request.tenant,
        request.params.idOrAlias,
        instances,
        topK ?? 3,
      );
      return reply.header('x-model-id', modelId).send({ modelId, predictions });
    },
  );
}

export default async function modelRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(multipart, {
    limits: { fileSize: app.config.MODEL_MAX_BYTES, files: 64, fields: 8, parts: 72, fieldSize: 64 * 1024 },
  });
  // In the order they were always registered: the OpenAPI document lists routes in this order.
  registerUpload(app);
  registerReads(app);
  registerDelete(app);
  registerFiles(app);
  registerPredict(app);
}

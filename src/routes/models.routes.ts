import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { conflict, notFound, ProblemError } from '../errors.js';
import { isModelId, modelIdOf, ModelRefSchema } from '../models/alias-store.js';
import { registerPredict } from './model-predict.js';
import { registerImport } from './model-imports.js';
import { registerUpload } from './model-uploads.js';
import { ModelSchema, type ModelJson, type ModelRecord } from '../models/model-store.js';
import { TEACHABLE_METADATA_FILE, teachableMetadata } from '../models/teachable-metadata.js';
import type { RouteApp } from './route-app.js';
import { PageOf, PageQuery, problems, pageOf } from './schemas.js';

const RefParams = Type.Object({ id: ModelRefSchema() });
/** A model named by id; anything starting `mdl_` that is no model is a 404. */
const ModelIdParams = Type.Object({ id: Type.String({ pattern: '^mdl_[A-Za-z0-9._-]{1,60}$' }) });
const FileParams = Type.Object({
  id: ModelRefSchema(),
  file: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }),
});

/** The tenant's model, or a 404. */
async function getRecord(app: RouteApp, tenant: string, id: string): Promise<ModelRecord> {
  const record = await app.models.get(tenant, id);
  if (!record) throw notFound('model', id);
  return record;
}

/** The tenant's model that `ref` (an id or an alias) names, or a 404. */
async function recordOf(app: RouteApp, tenant: string, ref: string): Promise<ModelRecord> {
  return getRecord(app, tenant, await modelIdOf(app.aliases, tenant, ref));
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
      schema: {
        summary: 'A model, named by its id or by an alias',
        params: RefParams,
        response: { 200: ModelSchema, ...problems(400, 404) },
      },
    },
    async (request) => recordOf(app, request.tenant, request.params.id),
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
      schema: { params: ModelIdParams, response: { 204: Type.Null(), ...problems(400, 404, 409) } },
    },
    async (request, reply) => {
      await deleteModel(app, request.tenant, request.params.id);
      return reply.code(204).send(null);
    },
  );
}

/**
 * model.json fetched through an alias, its weight paths pointing at the model's own id (`../mdl_…/weights.bin`):
 * a client loading it gets the weights of that model even if the alias moves meanwhile.
 */
function pinnedModelJson(data: Buffer, id: string): Buffer {
  const json = JSON.parse(data.toString('utf8')) as ModelJson;
  for (const group of json.weightsManifest) group.paths = group.paths.map((path) => `../${id}/${path}`);
  return Buffer.from(JSON.stringify(json));
}

/**
 * GET /:id/:file: model.json and the weight files it names, so that tf.loadLayersModel('<base>/v1/models/ID/model.json')
 * works; for an image model also a Teachable-Machine-style metadata.json.
 */
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
      const { id: ref, file } = request.params;
      const record = await recordOf(app, request.tenant, ref);
      const { id } = record;
      if (file === TEACHABLE_METADATA_FILE && !record.files.includes(file)) {
        const metadata = teachableMetadata(record);
        if (!metadata) {
          throw new ProblemError(
            404,
            'file_not_found',
            record.graphBase
              ? `model ${id} is a head on a GraphModel base (${record.graphBase.modelJson}), which Teachable Machine's loaders cannot chain, so it has no ${file}`
              : `model ${id} does not take images, so it has no ${file}`,
            {
              file,
            },
          );
        }
        return reply
          .type('application/json')
          .header('x-model-id', id)
          .header('cache-control', 'private, no-cache')
          .send(Buffer.from(JSON.stringify(metadata)));
      }
      if (!record.files.includes(file))
        throw new ProblemError(404, 'file_not_found', `model ${id} has no file '${file}'`, { file });
      const data = await app.models.file(request.tenant, id, file);
      if (!data) throw new ProblemError(404, 'file_not_found', `model ${id} has no file '${file}'`, { file });
      const byAlias = !isModelId(ref);
      // A head's GraphModel base has a model.json of its own, pinned like the head's.
      const json = file === 'model.json' || file === record.graphBase?.modelJson;
      return reply
        .type(json ? 'application/json' : 'application/octet-stream')
        .header('x-model-id', id)
        .header('cache-control', byAlias ? 'private, no-cache' : 'private, max-age=31536000, immutable')
        .send(byAlias && json ? pinnedModelJson(data, id) : data);
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
  registerImport(app);
  registerReads(app);
  registerDelete(app);
  registerFiles(app);
  registerPredict(app);
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { badRequest, notFound } from '../errors.js';
import { idPattern } from '../ids.js';
import { ALIAS_NAME_PATTERN, AliasSchema, aliasNotFound } from '../models/alias-store.js';
import { PageOf, problems, pageOf, DEFAULT_PAGE_SIZE } from './schemas.js';

const NameParams = Type.Object({ name: Type.String({ pattern: `^${ALIAS_NAME_PATTERN}$` }) });
const AliasBody = Type.Object(
  { modelId: Type.String({ pattern: idPattern('mdl') }) },
  { additionalProperties: false },
);
const AliasPageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
    cursor: Type.Optional(
      Type.String({ pattern: `^${ALIAS_NAME_PATTERN}$`, description: 'nextCursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);
const SetAliasResponse = Type.Intersect([
  AliasSchema,
  Type.Object({
    previousModelId: Type.Union([Type.String(), Type.Null()], {
      description: 'The model the alias pointed to before this request, if any',
    }),
  }),
]);

/** Aliases: stable names for models, such as `digits-prod`, that clients predict with and operators move. */
export default async function aliasRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/',
    {
      config: { scope: 'models:read' },
      schema: {
        summary: 'List aliases in name order',
        querystring: AliasPageQuery,
        response: { 200: PageOf(AliasSchema), ...problems(400) },
      },
    },
    async (request) => app.aliases.list(request.tenant, pageOf(request.query)),
  );

  app.get(
    '/:name',
    {
      config: { scope: 'models:read' },
      schema: { params: NameParams, response: { 200: AliasSchema, ...problems(400, 404) } },
    },
    async (request) => {
      const alias = await app.aliases.get(request.tenant, request.params.name);
      if (!alias) throw aliasNotFound(request.params.name);
      return alias;
    },
  );

  app.put(
    '/:name',
    {
      config: { scope: 'models:write' },
      schema: {
        summary: 'Point an alias at a model, creating it or moving it in one atomic step',
        params: NameParams,
        body: AliasBody,
        response: { 200: SetAliasResponse, 201: SetAliasResponse, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const { modelId } = request.body;
      if (name.startsWith('mdl_')) {
        throw badRequest('validation_failed', "params/name must not start with 'mdl_', which model ids use", {
          field: '/params/name',
        });
      }
      if (!(await app.models.get(request.tenant, modelId))) throw notFound('model', modelId);
      const set = await app.aliases.set(request.tenant, name, modelId);
      // The model is being deleted: as far as new aliases go, it is gone.
      if (!set) throw notFound('model', modelId);
      return reply
        .code(set.previous ? 200 : 201)
        .header('location', `/v1/aliases/${name}`)
        .send({ ...set.alias, previousModelId: set.previous?.modelId ?? null });
    },
  );

  app.delete(
    '/:name',
    {
      config: { scope: 'models:write' },
      schema: { params: NameParams, response: { 204: Type.Null(), ...problems(400, 404) } },
    },
    async (request, reply) => {
      if (!(await app.aliases.delete(request.tenant, request.params.name)))
        throw aliasNotFound(request.params.name);
      return reply.code(204).send(null);
    },
  );
}

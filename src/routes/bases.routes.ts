import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { BASES, baseModelUrl, CatalogueBaseSchema } from '../models/bases-catalogue.js';

/** GET /: the catalogue of well-known pretrained image bases that `POST /v1/models/import {"base": id}` imports. */
export default async function baseRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Resolved once: the mirror is configuration, read at start-up.
  const items = BASES.map((base) => ({ ...base, url: baseModelUrl(base, app.config.BASE_MIRROR_URL) }));

  app.get(
    '/',
    {
      config: { scope: 'models:read' },
      schema: {
        summary: 'The catalogue of pretrained image bases that can be imported by id',
        description:
          'Each with where its model.json is fetched from (under BASE_MIRROR_URL when set), its format, input shape, pixel preprocessing, default cut layer and licence. Import one with POST /v1/models/import {"base": "<id>"}.',
        response: { 200: Type.Object({ items: Type.Array(CatalogueBaseSchema) }) },
      },
    },
    async () => ({ items }),
  );
}

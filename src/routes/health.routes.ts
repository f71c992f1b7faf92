import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProblemError } from '../errors.js';
import { problems } from './schemas.js';

export default async function healthRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/health', { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/ready',
    {
      schema: {
        response: {
          200: Type.Object({
            status: Type.Literal('ready'),
            backend: Type.Object({ name: Type.String(), device: Type.String() }),
          }),
          ...problems(503),
        },
      },
    },
    async () => {
      try {
        await Promise.all([app.redis.ping(), app.blobStore.check()]);
      } catch (error) {
        throw new ProblemError(503, 'not_ready', `a dependency is unavailable: ${(error as Error).message}`);
      }
      return { status: 'ready' as const, backend: { name: app.backend.name, device: app.backend.device } };
    },
  );
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { WorkerInfoSchema } from '../queue/worker-registry.js';

export default async function workerRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'The live training workers',
        description: 'From heartbeats that expire: a worker that stops beating for three intervals is gone.',
        response: { 200: Type.Object({ items: Type.Array(WorkerInfoSchema) }) },
      },
    },
    async () => ({ items: await app.workerRegistry.list() }),
  );
}

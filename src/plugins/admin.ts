import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { problemErrorHandler } from './problem.js';

export const ADMIN_QUEUES_PATH = '/admin/queues';

/**
 * The queue dashboard (bull-board) at /admin/queues, for `operator` keys (Basic auth with the key as the password,
 * so a browser can sign in): it shows every tenant's jobs and Redis's details. Read-only: jobs are cancelled and retried through the API, which keeps their event
 * logs and checkpoints in step.
 */
export default fp(
  async function adminPlugin(app: FastifyInstance) {
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
    createBullBoard({
      queues: [new BullMQAdapter(app.trainingQueue, { readOnlyMode: true })],
      serverAdapter,
    });
    await app.register(
      async (admin) => {
        // Its routes answer errors (a rate limit, load shedding) as problems, like every other route.
        admin.addHook('onRoute', (route) => {
          route.errorHandler = (error, request, reply) => {
            void problemErrorHandler(error, request, reply);
          };
        });
        // The dashboard's page runs its own scripts and styles.
        admin.addHook('onSend', async (_request, reply) => {
          reply.removeHeader('content-security-policy');
        });
        await admin.register(serverAdapter.registerPlugin());
      },
      { prefix: ADMIN_QUEUES_PATH },
    );
  },
  { name: 'admin', dependencies: ['redis', 'auth'] },
);

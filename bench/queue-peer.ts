import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import Fastify from 'fastify';
import { newId } from '../src/ids.js';
import type { TrainingPayload, TrainingResultValue } from '../src/queue/catalogue.js';

/**
 * What any HTTP submission on this machine stands on: Fastify with nothing registered, parsing the same JSON body,
 * adding the job with one `queue.add` (one Redis round trip) and answering 201 with its id. No authentication,
 * checks, quota, resource claims or events.
 */
export async function addRoute(
  queue: Queue<TrainingPayload, TrainingResultValue>,
  payload: () => TrainingPayload,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = Fastify();
  server.post('/v1/jobs', async (_request, reply) => {
    const job = await queue.add('train', payload(), { jobId: newId('job') });
    return reply.code(201).send({ id: job.id, status: 'queued' });
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/jobs`, close: () => server.close() };
}

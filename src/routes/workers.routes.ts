import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { holdsScope } from '../auth/api-keys.js';
import { redisKeysFor } from '../queue/catalogue.js';
import { WorkerInfoSchema, type WorkerInfo } from '../queue/worker-registry.js';

export default async function workerRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  /** The workers with only the tenant's own jobs: which other tenants' jobs run where is the operator's to see. */
  const ownJobsOnly = async (tenant: string, workers: WorkerInfo[]): Promise<WorkerInfo[]> => {
    const ids = workers.flatMap((worker) => worker.jobs.map((job) => job.id));
    if (ids.length === 0) return workers;
    const scores = await app.redis.zmscore(redisKeysFor(app.config.QUEUE_PREFIX).activeJobs(tenant), ...ids);
    const own = new Set(ids.filter((_, i) => scores[i] !== null));
    return workers.map((worker) => {
      const jobs = worker.jobs.filter((job) => own.has(job.id));
      const paces = jobs.flatMap((job) => (job.samplesPerSecond === null ? [] : [job.samplesPerSecond]));
      // The worker's pace is its jobs' together: here, only those of the tenant.
      const samplesPerSecond = paces.length > 0 ? paces.reduce((a, b) => a + b, 0) : null;
      return { ...worker, jobs, samplesPerSecond };
    });
  };

  app.get(
    '/',
    {
      config: { scope: ['admin', 'operator'] },
      schema: {
        summary: 'The live training workers',
        description:
          "From heartbeats that expire: a worker that stops beating for three intervals is gone. Each lists the jobs it runs: the key's tenant's own, or every tenant's for a key with the scope `operator`.",
        response: { 200: Type.Object({ items: Type.Array(WorkerInfoSchema) }) },
      },
    },
    async (request) => {
      const workers = await app.workerRegistry.list();
      const all = request.principal !== null && holdsScope(request.principal, 'operator');
      return { items: all ? workers : await ownJobsOnly(request.tenant, workers) };
    },
  );
}

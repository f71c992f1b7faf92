import type { Redis } from 'ioredis';
import type { RedisKeys } from '../queue/catalogue.js';
import type { TenantQuotas } from '../quotas/tenant-quotas.js';
import type { JobEvents } from './job-events.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { JobSpec } from './job-spec.js';
import type { ResourceGuard } from './resource-guard.js';

interface AdmissionDeps {
  redis: Redis;
  keys: RedisKeys;
  guard: ResourceGuard;
  lifecycle: JobLifecycle;
  events: JobEvents;
  quotas?: TenantQuotas;
}

/**
 * What a checked job goes through before it is added to the queue: the tenant's quota, the claim on its dataset
 * and base, the tenant's index, and its `queued` status; and the undoing of all of it for a job that never
 * reached the queue.
 */
export class JobAdmission {
  constructor(private readonly deps: AdmissionDeps) {}

  /** Admits the job; returns its place among the tenant's queued jobs. Undoes what it did if a step fails. */
  async admit(tenant: string, id: string, spec: JobSpec): Promise<number | undefined> {
    const { redis, keys, guard, lifecycle, quotas } = this.deps;
    await quotas?.admitJob(tenant, id);
    try {
      // Both sent at once: the index entry of a job never queued is undone, like the claim.
      await Promise.all([guard.claim(tenant, id, spec), redis.zadd(keys.tenantJobs(tenant), 0, id)]);
      // The log starts before a worker can see the job, so 'queued' always comes first.
      return await lifecycle.queueNew({ id, tenant });
    } catch (error) {
      await this.undo(tenant, id, spec);
      throw error;
    }
  }

  /** Undoes {@link admit} for a job that never reached the queue. */
  async undo(tenant: string, id: string, spec: JobSpec): Promise<void> {
    const { redis, keys, guard, events, quotas } = this.deps;
    await guard.release(tenant, id, spec);
    await redis.zrem(keys.tenantJobs(tenant), id);
    await redis.zrem(keys.queuedJobs(tenant), id);
    await events.delete(id);
    await quotas?.releaseJob(tenant, id);
  }
}

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ProblemError } from '../errors.js';
import { redisKeys } from '../queue/catalogue.js';

// Adds the member unless the set already holds `limit`; returns -1 when added, else the current size.
const ADD_UNDER_LIMIT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return -1 end
local size = redis.call('SCARD', KEYS[1])
if size >= tonumber(ARGV[2]) then return size end
redis.call('SADD', KEYS[1], ARGV[1])
return -1
`;

// Adds to the counter unless that takes it past the limit; returns -1 when added, else the current value.
const INCR_UNDER_LIMIT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return current end
redis.call('INCRBY', KEYS[1], ARGV[1])
return -1
`;

const FINISHED = new Set(['completed', 'failed', 'unknown']);

/** A quota exceeded: 429 for jobs (they free up), 413 for storage; the message names the quota and the use. */
function exceeded(status: 429 | 413, quota: string, limit: number, current: number, detail: string) {
  return new ProblemError(status, 'quota_exceeded', detail, { quota, limit, current });
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Per-tenant quotas in Redis, shared by every API instance: jobs queued or running (`maxActiveJobs`), and bytes
 * of stored datasets and models (`maxStoredBytes`). Checks and reservations are atomic, so concurrent requests
 * cannot pass a quota together.
 */
export class TenantQuotas {
  constructor(
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly prefix: string,
    readonly limits: { maxActiveJobs: number; maxStoredBytes: number },
  ) {}

  private activeKey(tenant: string) {
    return redisKeys.activeJobs(this.prefix, tenant);
  }

  private storedKey(tenant: string) {
    return redisKeys.storedBytes(this.prefix, tenant);
  }

  /**
   * Counts job `id` as active for the tenant, or throws 429 when the tenant already has its maximum queued or
   * running. Jobs that have finished since they were counted are pruned first.
   */
  async admitJob(tenant: string, id: string): Promise<void> {
    const key = this.activeKey(tenant);
    const members = await this.redis.smembers(key);
    if (members.length >= this.limits.maxActiveJobs) {
      const states = await Promise.all(members.map((job) => this.queue.getJobState(job)));
      const done = members.filter((_, i) => FINISHED.has(states[i]!));
      if (done.length > 0) await this.redis.srem(key, ...done);
    }
    const current = (await this.redis.eval(ADD_UNDER_LIMIT, 1, key, id, this.limits.maxActiveJobs)) as number;
    if (current >= 0) {
      throw exceeded(
        429,
        'active_jobs',
        this.limits.maxActiveJobs,
        current,
        `the tenant has ${current} jobs queued or running, its quota (TENANT_MAX_ACTIVE_JOBS); retry when one ends`,
      );
    }
  }

  /** Forgets a job that was counted but never queued. */
  async releaseJob(tenant: string, id: string): Promise<void> {
    await this.redis.srem(this.activeKey(tenant), id);
  }

  /** Reserves `bytes` of storage for the tenant, or throws 413 when that would pass its quota. */
  async reserveBytes(tenant: string, bytes: number): Promise<void> {
    const current = (await this.redis.eval(
      INCR_UNDER_LIMIT,
      1,
      this.storedKey(tenant),
      bytes,
      this.limits.maxStoredBytes,
    )) as number;
    if (current >= 0) {
      throw exceeded(
        413,
        'stored_bytes',
        this.limits.maxStoredBytes,
        current,
        `storing ${mib(bytes)} more would take the tenant past its storage quota (TENANT_MAX_STORED_BYTES, ` +
          `${mib(this.limits.maxStoredBytes)}): ${mib(current)} is in use; delete datasets or models first`,
      );
    }
  }

  async releaseBytes(tenant: string, bytes: number): Promise<void> {
    await this.redis.decrby(this.storedKey(tenant), bytes);
  }

  /** Refuses new training while the tenant's storage is full: the model it makes would not fit. */
  async checkStorageLeft(tenant: string): Promise<void> {
    const current = Number((await this.redis.get(this.storedKey(tenant))) ?? 0);
    if (current >= this.limits.maxStoredBytes) {
      throw exceeded(
        413,
        'stored_bytes',
        this.limits.maxStoredBytes,
        current,
        `the tenant's storage quota (TENANT_MAX_STORED_BYTES, ${mib(this.limits.maxStoredBytes)}) is used up ` +
          `(${mib(current)}), so a trained model could not be stored; delete datasets or models first`,
      );
    }
  }

  async usage(tenant: string): Promise<{ activeJobs: number; storedBytes: number }> {
    const [active, stored] = await Promise.all([
      this.redis.scard(this.activeKey(tenant)),
      this.redis.get(this.storedKey(tenant)),
    ]);
    return { activeJobs: active, storedBytes: Number(stored ?? 0) };
  }
}

import type { Queue } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import { ProblemError } from '../errors.js';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { RedisScript } from '../redis-script.js';

// admit_job counts job `id` among the tenant's active ones (`active`: a sorted set of job ids by admission time,
// `now`) unless its storage is used up (`stored`, the total, against `max_bytes`): its model could not be stored;
// or it already has `limit` jobs. It answers {0, 0} when admitted (or already counted), {1, bytes stored} or
// {2, jobs counted} when refused. release_job uncounts it. Run alone as ADMIT_JOB, and inside a job's admission.
export const JOB_SLOT_LUA = `
local function admit_job(active, stored, id, limit, now, max_bytes)
  local used = tonumber(redis.call('GET', stored) or '0')
  if used >= tonumber(max_bytes) then return {1, used} end
  if redis.call('ZSCORE', active, id) then return {0, 0} end
  local size = redis.call('ZCARD', active)
  if size >= tonumber(limit) then return {2, size} end
  redis.call('ZADD', active, now, id)
  return {0, 0}
end
local function release_job(active, id)
  redis.call('ZREM', active, id)
end`;
const ADMIT_JOB = new RedisScript(`${JOB_SLOT_LUA}
return admit_job(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])`);
/** What `admit_job` answers: its outcome, then the use that refused it. */
type Answer = [number, number, ...unknown[]];
/** What `admit_job` answers first. */
const ADMITTED = 0;
const STORAGE_FULL = 1;
const JOBS_FULL = 2;

// Counts a stored resource once (KEYS[1]: resource id → bytes; KEYS[2]: the total). With a limit (ARGV[3] > 0), only
// if the total stays within it. Returns -1 when counted (or counted already), else the current total.
const COUNT_BYTES = new RedisScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return -1 end
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[3])
if limit > 0 and current + tonumber(ARGV[2]) > limit then return current end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[2], ARGV[2])
return -1
`);

// Uncounts a resource once, whoever asks first; the total never goes below zero.
const UNCOUNT_BYTES = new RedisScript(`
local bytes = redis.call('HGET', KEYS[1], ARGV[1])
if not bytes then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local left = tonumber(redis.call('GET', KEYS[2]) or '0') - tonumber(bytes)
if left < 0 then left = 0 end
redis.call('SET', KEYS[2], left)
return 1
`);

/** Finished jobs leave the count; so do jobs the queue does not know, once they are older than a submission takes. */
const FINISHED = new Set(['completed', 'failed']);
/** How long a submission may take from admission to the queue's add: until then, its job is not in the queue. */
export const ADMISSION_GRACE_MS = 60_000;

/** A quota exceeded: 429 for jobs (they free up), 413 for storage; the message names the quota and the use. */
function exceeded(status: 429 | 413, quota: string, limit: number, current: number, detail: string) {
  return new ProblemError(status, 'quota_exceeded', detail, { quota, limit, current });
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Per-tenant quotas in Redis, shared by every API instance and worker: jobs queued or running (`maxActiveJobs`),
 * and bytes of stored datasets and models (`maxStoredBytes`). Each check-and-count is one Lua script, and each
 * stored resource is counted at most once and uncounted at most once, however many requests race.
 */
export class TenantQuotas {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly prefix: string,
    readonly limits: { maxActiveJobs: number; maxStoredBytes: number },
  ) {
    this.keys = redisKeysFor(prefix);
  }

  private storedKeys(tenant: string): [string, string] {
    return [this.keys.storedResources(tenant), this.keys.storedBytes(tenant)];
  }

  /**
   * Counts job `id` as active for the tenant, in one round trip. Throws 413 while the tenant's storage is used up
   * (a trained model could not be stored), 429 when the tenant already has its maximum queued or running; jobs
   * that have finished since they were counted are pruned first then.
   */
  async admitJob(tenant: string, id: string): Promise<void> {
    const { keys, args } = this.admissionCall(tenant);
    await this.admitWith(
      tenant,
      async () => (await ADMIT_JOB.run(this.redis, keys, [id, ...args])) as Answer,
    );
  }

  /** The keys of `admit_job` (JOB_SLOT_LUA) for the tenant, and its arguments after the job's id. */
  admissionCall(tenant: string): { keys: string[]; args: number[] } {
    return {
      keys: [this.keys.activeJobs(tenant), this.storedKeys(tenant)[1]],
      args: [this.limits.maxActiveJobs, Date.now(), this.limits.maxStoredBytes],
    };
  }

  /**
   * Runs `attempt`, whose answer starts as `admit_job`'s does, until it is admitted: once more after pruning
   * finished jobs when the tenant is at its limit. Returns the admitted answer; throws the quota exceeded else.
   */
  async admitWith<T extends Answer>(tenant: string, attempt: () => Promise<T>): Promise<T> {
    let answer = await attempt();
    if (answer[0] === JOBS_FULL) {
      await this.pruneJobs(this.keys.activeJobs(tenant));
      answer = await attempt();
    }
    const [outcome, current] = answer;
    if (outcome === ADMITTED) return answer;
    if (outcome === STORAGE_FULL) {
      throw exceeded(
        413,
        'stored_bytes',
        this.limits.maxStoredBytes,
        current,
        `the tenant's storage quota (TENANT_MAX_STORED_BYTES, ${mib(this.limits.maxStoredBytes)}) is used up ` +
          `(${mib(current)}), so a trained model could not be stored; delete datasets or models first`,
      );
    }
    throw exceeded(
      429,
      'active_jobs',
      this.limits.maxActiveJobs,
      current,
      `the tenant has ${current} jobs queued or running, its quota (TENANT_MAX_ACTIVE_JOBS); retry when one ends`,
    );
  }

  private async pruneJobs(key: string): Promise<void> {
    const entries = await this.redis.zrange(key, 0, -1, 'WITHSCORES');
    const gone: string[] = [];
    for (let i = 0; i < entries.length; i += 2) {
      const [id, admittedAt] = [entries[i]!, Number(entries[i + 1])];
      const state = await this.queue.getJobState(id);
      // A job just admitted is not in the queue yet: unknown, but not gone.
      if (FINISHED.has(state) || (state === 'unknown' && Date.now() - admittedAt > ADMISSION_GRACE_MS))
        gone.push(id);
    }
    if (gone.length > 0) await this.redis.zrem(key, ...gone);
  }

  /** Forgets a job that was counted but never queued, or that ended. */
  async releaseJob(tenant: string, id: string): Promise<void> {
    await this.redis.zrem(this.keys.activeJobs(tenant), id);
  }

  /** {@link releaseJob}'s command, added to `batch`. */
  releaseJobIn(batch: ChainableCommander, tenant: string, id: string): ChainableCommander {
    return batch.zrem(this.keys.activeJobs(tenant), id);
  }

  /**
   * Stores a resource within the tenant's storage quota: it is counted before `store` runs (a 413 when it would
   * take the tenant past the quota) and uncounted again when `store` fails.
   */
  async storeCounted<T>(
    tenant: string,
    resourceId: string,
    bytes: number,
    store: () => Promise<T>,
  ): Promise<T> {
    await this.reserveBytes(tenant, resourceId, bytes);
    try {
      return await store();
    } catch (error) {
      await this.releaseBytes(tenant, resourceId);
      throw error;
    }
  }

  /** Counts a resource about to be stored, or throws 413 when it would take the tenant past its quota. */
  private async reserveBytes(tenant: string, resourceId: string, bytes: number): Promise<void> {
    const current = (await COUNT_BYTES.run(this.redis, this.storedKeys(tenant), [
      resourceId,
      bytes,
      this.limits.maxStoredBytes,
    ])) as number;
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

  /** Uncounts a resource that was deleted (or never stored); a second call for it changes nothing. */
  async releaseBytes(tenant: string, resourceId: string): Promise<void> {
    await UNCOUNT_BYTES.run(this.redis, this.storedKeys(tenant), [resourceId]);
  }

  async usage(tenant: string): Promise<{ activeJobs: number; storedBytes: number }> {
    const [active, stored] = await Promise.all([
      this.redis.zcard(this.keys.activeJobs(tenant)),
      this.redis.get(this.storedKeys(tenant)[1]),
    ]);
    return { activeJobs: active, storedBytes: Number(stored ?? 0) };
  }
}

/** Frees a job's slot in its tenant's quota of queued and running jobs: for processes without a TenantQuotas. */
export async function releaseJobSlot(
  redis: Redis,
  prefix: string,
  tenant: string,
  id: string,
): Promise<void> {
  await redis.zrem(redisKeysFor(prefix).activeJobs(tenant), id);
}

/** Counts a trained model against its tenant's storage, once however often it is called (a worker's retries). */
export async function countStoredModel(
  redis: Redis,
  prefix: string,
  tenant: string,
  modelId: string,
  bytes: number,
): Promise<void> {
  const bound = redisKeysFor(prefix);
  const keys = [bound.storedResources(tenant), bound.storedBytes(tenant)];
  await COUNT_BYTES.run(redis, keys, [modelId, bytes, 0]);
}

/** Uncounts a trained model that was deleted (its job ended cancelled); a second call changes nothing. */
export async function uncountStoredModel(
  redis: Redis,
  prefix: string,
  tenant: string,
  modelId: string,
): Promise<void> {
  const bound = redisKeysFor(prefix);
  const keys = [bound.storedResources(tenant), bound.storedBytes(tenant)];
  await UNCOUNT_BYTES.run(redis, keys, [modelId]);
}

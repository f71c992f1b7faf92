import type { Queue } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import { conflict, notFound } from '../errors.js';
import { ADMISSION_GRACE_MS } from '../quotas/tenant-quotas.js';
import {
  DELETING_TTL_SECONDS,
  redisKeysFor,
  type RedisKeys,
  type TrainingPayload,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import type { JobSpec } from './job-spec.js';
import { RedisScript } from '../redis-script.js';

export type ResourceKind = 'dataset' | 'model';

// claim notes job `id` among the users of each resource (`keys[1..n]`), then, in the same step, looks for a deleting
// marker on any of them (`keys[n+1..2n]`): with one, the notes are undone and its index (from 1) returned; else 0.
// Run alone as CLAIM, and inside a job's admission.
export const CLAIM_LUA = `
local function claim(keys, first, n, id)
  for i = 0, n - 1 do redis.call('SADD', keys[first + i], id) end
  for i = 0, n - 1 do
    if redis.call('EXISTS', keys[first + n + i]) == 1 then
      for j = 0, n - 1 do redis.call('SREM', keys[first + j], id) end
      return i + 1
    end
  end
  return 0
end`;
const CLAIM = new RedisScript(`${CLAIM_LUA}
return claim(KEYS, 1, tonumber(ARGV[2]), ARGV[1])`);

/** The datasets and base model a job reads. */
function resourcesOf(spec: JobSpec): Array<{ kind: ResourceKind; id: string }> {
  const used: Array<{ kind: ResourceKind; id: string }> = [{ kind: 'dataset', id: spec.dataset }];
  if ('dataset' in spec.validation) used.push({ kind: 'dataset', id: spec.validation.dataset });
  if (spec.baseModel) used.push({ kind: 'model', id: spec.baseModel });
  return used;
}

/**
 * Keeps datasets and models that unfinished jobs use from being deleted. A job first notes that it uses its
 * datasets and base model, then makes sure none of them is being deleted; a delete marks the resource, then looks
 * for users. Whichever runs second sees the other, so a job is never accepted on a resource deleted from under it.
 */
export class ResourceGuard {
  private readonly keys: RedisKeys;

  constructor(
    private readonly queue: Queue<TrainingPayload, TrainingResultValue>,
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  private usersKey(tenant: string, kind: ResourceKind, id: string) {
    return this.keys.resourceJobs(tenant, kind, id);
  }

  /**
   * Notes that job `jobId` uses what `spec` names; a 404 naming one that is being deleted (the note undone). One
   * round trip.
   */
  async claim(tenant: string, jobId: string, spec: JobSpec): Promise<void> {
    const keys = this.claimKeys(tenant, spec);
    const refused = (await CLAIM.run(this.redis, keys, [jobId, keys.length / 2])) as number;
    this.refuseClaim(spec, refused);
  }

  /** The keys `claim` (CLAIM_LUA) takes for what `spec` names: the users of each resource, then their markers. */
  claimKeys(tenant: string, spec: JobSpec): string[] {
    const used = resourcesOf(spec);
    return [
      ...used.map(({ kind, id }) => this.usersKey(tenant, kind, id)),
      ...used.map(({ kind, id }) => this.keys.deleting(tenant, kind, id)),
    ];
  }

  /** After `claim` answered `refused`: the 404 naming the resource being deleted, if any. */
  refuseClaim(spec: JobSpec, refused: number): void {
    const used = resourcesOf(spec);
    if (refused > 0) throw notFound(used[refused - 1]!.kind, used[refused - 1]!.id);
  }

  /**
   * Whether a job the queue does not know is on its way there: admitted (its tenant counts it) a moment ago, it has
   * claimed its resources and not yet been added. A job that ended or was removed is no longer counted.
   */
  private async beingSubmitted(tenant: string, jobId: string): Promise<boolean> {
    const admittedAt = await this.redis.zscore(this.keys.activeJobs(tenant), jobId);
    return admittedAt !== null && Date.now() - Number(admittedAt) < ADMISSION_GRACE_MS;
  }

  /** Undoes {@link claim}, for a job that never reached the queue. */
  async release(tenant: string, jobId: string, spec: JobSpec): Promise<void> {
    await this.releaseIn(this.redis.multi(), tenant, jobId, spec).exec();
  }

  /** {@link release}'s commands, added to `batch`. */
  releaseIn(batch: ChainableCommander, tenant: string, jobId: string, spec: JobSpec): ChainableCommander {
    for (const { kind, id } of resourcesOf(spec)) batch.srem(this.usersKey(tenant, kind, id), jobId);
    return batch;
  }

  /** Deletes a dataset or model with `remove` unless an unfinished job uses it (409 naming the jobs). */
  async deleteUnused(
    tenant: string,
    kind: ResourceKind,
    id: string,
    remove: () => Promise<void>,
  ): Promise<void> {
    const deleting = this.keys.deleting(tenant, kind, id);
    await this.redis.set(deleting, '1', 'EX', DELETING_TTL_SECONDS);
    const usersKey = this.usersKey(tenant, kind, id);
    const users: string[] = [];
    for (const jobId of await this.redis.smembers(usersKey)) {
      const state = await this.queue.getJobState(jobId);
      const finished =
        state === 'completed' ||
        state === 'failed' ||
        (state === 'unknown' && !(await this.beingSubmitted(tenant, jobId)));
      if (finished) await this.redis.srem(usersKey, jobId);
      else users.push(jobId);
    }
    if (users.length > 0) {
      await this.redis.del(deleting);
      throw conflict(`${kind}_in_use`, `${kind} ${id} is used by unfinished jobs: ${users.join(', ')}`, {
        jobs: users,
      });
    }
    await remove();
    await this.redis.del(usersKey);
  }
}

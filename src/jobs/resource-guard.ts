import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { conflict, notFound } from '../errors.js';
import {
  DELETING_TTL_SECONDS,
  redisKeysFor,
  type RedisKeys,
  type TrainingPayload,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import type { JobSpec } from './job-spec.js';

export type ResourceKind = 'dataset' | 'model';

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

  /** Notes that job `jobId` uses what `spec` names; a 404 naming one that is being deleted (the note undone). */
  async claim(tenant: string, jobId: string, spec: JobSpec): Promise<void> {
    const used = resourcesOf(spec);
    const refs = this.redis.multi();
    for (const { kind, id } of used) refs.sadd(this.usersKey(tenant, kind, id), jobId);
    await refs.exec();
    for (const { kind, id } of used) {
      if (await this.redis.exists(this.keys.deleting(tenant, kind, id))) {
        await this.release(tenant, jobId, spec);
        throw notFound(kind, id);
      }
    }
  }

  /** Undoes {@link claim}, for a job that never reached the queue. */
  async release(tenant: string, jobId: string, spec: JobSpec): Promise<void> {
    const undo = this.redis.multi();
    for (const { kind, id } of resourcesOf(spec)) undo.srem(this.usersKey(tenant, kind, id), jobId);
    await undo.exec();
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
      if (state === 'completed' || state === 'failed' || state === 'unknown')
        await this.redis.srem(usersKey, jobId);
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

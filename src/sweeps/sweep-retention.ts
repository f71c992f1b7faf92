import type { Redis } from 'ioredis';
import { whileLocked } from '../lock.js';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import type { SweepQueue } from './sweep-view.js';

/** Sweeps read from each finished set per round. */
const BATCH = 100;
/** The lock outlives a process that died removing sweeps by this much. */
const LOCK_MS = 60_000;

export interface SweepRetentionOptions {
  queue: SweepQueue;
  redis: Redis;
  prefix: string;
  /** How long after its end an ended sweep is removed: the jobs' retention. */
  retentionMs: number;
}

/**
 * Removes ended sweeps past their retention, once their trials are gone: a trial ends before its sweep, so the
 * jobs' retention removes it first, and a trial still there (ended later, retried) keeps its sweep for a later
 * pass. What goes: BullMQ's parent job and its place in the finished sets, the sweep's log and status, its
 * admission and early-stop records, its cancel marker and its entry in the tenant's sweeps. Per-epoch records
 * expire on their own (median-rule.ts). One process removes sweeps at a time.
 */
export class SweepRetention {
  private readonly keys: RedisKeys;

  constructor(private readonly options: SweepRetentionOptions) {
    this.keys = redisKeysFor(options.prefix);
  }

  /** Removes every sweep that ended more than the retention before `now`; how many, or null while another is. */
  async sweep(now = Date.now()): Promise<number | null> {
    const { redis, queue, retentionMs } = this.options;
    return whileLocked(redis, this.keys.sweepRetentionSweep(), LOCK_MS, async () => {
      let removed = 0;
      for (const set of [queue.keys.completed!, queue.keys.failed!]) {
        // Passed over (a trial still there) are read past in the next round.
        let kept = 0;
        for (;;) {
          const ids = await redis.zrangebyscore(set, '-inf', now - retentionMs, 'LIMIT', kept, BATCH);
          if (ids.length === 0) break;
          for (const id of ids) {
            if (await this.expire(id)) removed++;
            else kept++;
          }
        }
      }
      return removed;
    });
  }

  /** Removes one ended sweep, its keys before its BullMQ job, so that a crash part-way is repeated whole. */
  private async expire(id: string): Promise<boolean> {
    const { queue, redis } = this.options;
    const k = this.keys;
    const job = await queue.getJob(id);
    // A trial's status stays until the jobs' retention removes the trial, however it ended (cancelled while
    // queued, it left the queue at once).
    if (job && job.data.trials.length > 0) {
      if ((await redis.exists(...job.data.trials.map((trial) => k.status(trial.jobId)))) > 0) return false;
    }
    const own = redis
      .multi()
      .unlink(k.events(id), k.status(id), k.ended(id), k.sweepCancel(id))
      .unlink(k.sweepAdmitted(id), k.sweepHeld(id), k.sweepStopped(id));
    if (job) own.zrem(k.tenantSweeps(job.data.tenant), id);
    await own.exec();
    if (job) await queue.remove(id, { removeChildren: false });
    await redis.multi().zrem(queue.keys.completed!, id).zrem(queue.keys.failed!, id).exec();
    return true;
  }
}

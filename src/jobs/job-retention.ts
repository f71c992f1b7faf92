import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  jobKeysOf,
  redisKeysFor,
  type RedisKeys,
  type TrainingPayload,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { JobSpec } from './job-spec.js';
import { ResourceGuard } from './resource-guard.js';
import { whileLocked } from '../lock.js';

const DAY_MS = 24 * 3600 * 1000;

/** JOB_RETENTION_DAYS in milliseconds; 0 keeps finished jobs forever. */
export const retentionMs = (days: number) => Math.round(days * DAY_MS);

/**
 * How long an Idempotency-Key is remembered: IDEMPOTENCY_TTL_SECONDS, but never past the retention. A job ends
 * after it was submitted, so its key then always goes before the job does, and never names a job that is gone.
 */
export function idempotencyTtlSeconds(ttlSeconds: number, retentionDays: number): number {
  if (retentionDays === 0) return ttlSeconds;
  return Math.max(1, Math.min(ttlSeconds, Math.floor(retentionMs(retentionDays) / 1000)));
}

/** Jobs read from each set per round of a sweep; a sweep goes on for rounds while due ones keep coming. */
const BATCH = 200;
/** A sweep's lock outlives a process that died sweeping by this much, then another one may sweep. */
const LOCK_MS = 60_000;
/**
 * A sweep hands the lock on after this long (looked at after each job, so it runs over by one job's removal at
 * most, well inside the lock), so that a backlog is worked off over several sweeps.
 */
const SWEEP_BUDGET_MS = 30_000;

const FINISHED_STATES = new Set(['completed', 'failed', 'unknown']);

export interface JobRetentionOptions {
  queue: Queue<TrainingPayload, TrainingResultValue>;
  redis: Redis;
  prefix: string;
  checkpoints: CheckpointStore;
  /** How long after its end a finished job is removed. */
  retentionMs: number;
  /** How long one sweep may run before it hands on; {@link SWEEP_BUDGET_MS} unless given (tests). */
  sweepBudgetMs?: number;
}

/**
 * Removes finished jobs once they are past their retention: BullMQ's job and its entries in the finished sets,
 * the job's own keys (its event log, status, markers), its entries in every index (the tenant's jobs, the jobs of
 * its datasets and base model, the quota's active jobs, the cancelled records, the ended jobs) and its checkpoints.
 * The models, datasets and aliases a job made or used stay. Jobs that have not ended are never touched.
 *
 * Ended jobs are found in the ended jobs (the lifecycle enters each one as it ends) and in BullMQ's completed and
 * failed sets (by finish time), which also hold a job whose log never got its end. One process sweeps at a time.
 */
export class JobRetention {
  private readonly keys: RedisKeys;
  private readonly guard: ResourceGuard;

  constructor(private readonly options: JobRetentionOptions) {
    this.keys = redisKeysFor(options.prefix);
    this.guard = new ResourceGuard(options.queue, options.redis, options.prefix);
  }

  /**
   * Removes every job that ended more than the retention before `now` (as many as its time allows); the number
   * removed, or null when another process is sweeping. A job that could not be removed is passed over, and the
   * sweep goes on with the others; it then fails, once, saying how many and why the first could not.
   */
  async sweep(now = Date.now()): Promise<number | null> {
    const { redis, sweepBudgetMs = SWEEP_BUDGET_MS } = this.options;
    return whileLocked(redis, this.keys.retentionSweep(), LOCK_MS, async () => {
      const started = Date.now();
      const outOfTime = () => Date.now() - started >= sweepBudgetMs;
      const cutoff = now - this.options.retentionMs;
      // Per set, the due jobs passed over (still finishing, or failed to go): the next round reads on after them.
      const skipped = new Map<string, number>();
      const failures: Array<{ id: string; error: unknown }> = [];
      let removed = 0;
      // Time is looked at after each job, never before the first: a budget that a clock tick eats up at once
      // (Date.now() counts whole milliseconds) still removes one job a sweep.
      rounds: for (;;) {
        const due = await this.due(cutoff, skipped);
        if (due.size === 0) break;
        for (const [id, sets] of due) {
          if (await this.expire(id).catch((error: unknown) => void failures.push({ id, error }))) removed++;
          else for (const set of sets) skipped.set(set, (skipped.get(set) ?? 0) + 1);
          if (outOfTime()) break rounds;
        }
      }
      if (failures.length > 0) throw sweepFailure(failures, removed);
      return removed;
    });
  }

  /** Jobs that ended at or before `cutoff`, by our record and by BullMQ's, each with the sets that hold it. */
  private async due(cutoff: number, skipped: Map<string, number>): Promise<Map<string, string[]>> {
    const { redis, queue } = this.options;
    const due = new Map<string, string[]>();
    for (const set of [this.keys.endedJobs(), queue.keys.completed!, queue.keys.failed!]) {
      const ids = await redis.zrangebyscore(set, '-inf', cutoff, 'LIMIT', skipped.get(set) ?? 0, BATCH);
      for (const id of ids) due.set(id, [...(due.get(id) ?? []), set]);
    }
    return due;
  }

  /**
   * Removes one ended job, in an order that a crash part-way leaves repeatable: what needs its payload (the tenant,
   * the resources) first, while the `ended` marker keeps anyone from writing to its log again; then BullMQ's job
   * and the cancelled record, after which it reads as 404; then the marker and its entries in the ended sets.
   * False when the job is still finishing in the queue (a later sweep takes it).
   */
  private async expire(id: string): Promise<boolean> {
    const { queue, redis, checkpoints } = this.options;
    const state = await queue.getJobState(id);
    if (!FINISHED_STATES.has(state)) return false;
    const payload = await this.payloadOf(id);
    const own = redis.multi().unlink(...jobKeysOf(this.keys, id));
    if (payload) {
      own.zrem(this.keys.tenantJobs(payload.tenant), id).zrem(this.keys.activeJobs(payload.tenant), id);
    }
    await own.exec();
    if (payload) {
      await this.guard.release(payload.tenant, id, payload.spec);
      await checkpoints.deleteAll(payload.tenant, id);
    }
    if (state !== 'unknown' && (await queue.remove(id)) !== 1) return false;
    await redis
      .multi()
      .hdel(this.keys.cancelled(), id)
      .unlink(this.keys.ended(id))
      .zrem(this.keys.endedJobs(), id)
      .zrem(queue.keys.completed!, id)
      .zrem(queue.keys.failed!, id)
      .exec();
    return true;
  }

  /** The tenant and spec of a job: from BullMQ's job, or the record a cancelled job left. */
  private async payloadOf(id: string): Promise<{ tenant: string; spec: JobSpec } | undefined> {
    const job = await this.options.queue.getJob(id);
    if (job) return job.data;
    const record = await this.options.redis.hget(this.keys.cancelled(), id);
    return record ? (JSON.parse(record) as { data: TrainingPayload }).data : undefined;
  }
}

/** Why a sweep failed: the jobs it could not remove, the first one's error as the cause. */
function sweepFailure(failures: Array<{ id: string; error: unknown }>, removed: number): Error {
  const [first] = failures as [{ id: string; error: unknown }];
  const why = first.error instanceof Error ? first.error.message : String(first.error);
  return new Error(
    `${failures.length} finished jobs could not be removed (${removed} were); job ${first.id}: ${why}`,
    { cause: first.error },
  );
}

/** What runs sweeps every so often; `stop` waits for the one under way. */
export interface RetentionSweeper {
  stop(): Promise<void>;
}

/** Sweeps every `everyMs` (after each sweep ends, so they never overlap here); failures go to `onError`. */
export function scheduleSweeps(
  retention: Pick<JobRetention, 'sweep'>,
  everyMs: number,
  report: { onSwept?: (removed: number) => void; onError: (error: unknown) => void },
): RetentionSweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = retention.sweep().then(
      (removed) => {
        if (removed) report.onSwept?.(removed);
      },
      (error: unknown) => report.onError(error),
    );
    void running.then(() => {
      if (!stopped) timer = setTimeout(tick, everyMs).unref();
    });
  };
  timer = setTimeout(tick, everyMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

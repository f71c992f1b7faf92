import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CANCELLED_REASON,
  redisKeysFor,
  type TrainingPayload,
  type TrainingResultValue,
} from '../queue/catalogue.js';

/** What a job view is made from: a BullMQ job, or the record a cancelled job left behind when it left the queue. */
export type JobSnapshot = Pick<
  Job<TrainingPayload, TrainingResultValue>,
  'data' | 'progress' | 'returnvalue' | 'failedReason' | 'attemptsMade' | 'processedOn' | 'finishedOn'
> & { id?: string; attemptsStarted?: number };

/** A cancelled job's last state, kept once it leaves the queue. */
export function cancelledRecord(job: Job<TrainingPayload, TrainingResultValue>): JobSnapshot {
  return {
    data: job.data,
    progress: job.progress,
    returnvalue: null as unknown as TrainingResultValue,
    failedReason: CANCELLED_REASON,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    processedOn: job.processedOn,
    finishedOn: job.finishedOn ?? Date.now(),
  };
}

/**
 * Moves a job out of the queue into the cancelled records: a cancel is no failure, so it is not left among the
 * failed jobs, where the queue dashboard and the failure metrics would count it. The record is written first, so
 * the job is never in neither. Returns the record, or undefined when the job could not be removed (a worker holds
 * it): its record is undone then.
 */
export async function archiveCancelled(
  redis: Redis,
  prefix: string,
  job: Job<TrainingPayload, TrainingResultValue>,
): Promise<JobSnapshot | undefined> {
  const record = cancelledRecord(job);
  const key = redisKeysFor(prefix).cancelled();
  await redis.hset(key, job.id!, JSON.stringify(record));
  try {
    await job.remove();
    return record;
  } catch {
    await redis.hdel(key, job.id!);
    return undefined;
  }
}

/** How many cancelled jobs are on record. */
export const cancelledCount = (redis: Redis, prefix: string) => redis.hlen(redisKeysFor(prefix).cancelled());

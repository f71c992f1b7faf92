import { DelayedError, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { conflict } from '../errors.js';
import type { RedisKeys, TrainingPayload, TrainingResultValue } from '../queue/catalogue.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { JobReader, JobView } from './job-view.js';
import { RedisScript } from '../redis-script.js';

/**
 * How long a paused job waits in BullMQ's delayed set. A worker that takes it up at the end of that wait, still
 * paused, holds it again; a resume promotes it at once.
 */
export const PAUSE_HOLD_MS = 30 * 24 * 3600 * 1000;

/** BullMQ states where a job waits for a worker. */
export const WAITING_STATES = new Set(['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children']);

// A pause is recorded only while the job has not ended and no cancel was asked for; otherwise the job's final
// status, or 'cancelling'.
const REQUEST_PAUSE = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('GET', KEYS[2]) or 'ended' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'cancelling' end
redis.call('SET', KEYS[4], '1')
return false`);

type TrainingQueue = Queue<TrainingPayload, TrainingResultValue>;
type TrainingJob = Job<TrainingPayload, TrainingResultValue>;

interface PauseDeps {
  queue: TrainingQueue;
  redis: Redis;
  keys: RedisKeys;
  lifecycle: JobLifecycle;
  reader: JobReader;
}

const cannotPause = (id: string, status: string) =>
  conflict('job_finished', `job ${id} has ${status}; only unfinished jobs can be paused`, {
    jobStatus: status,
  });

/** Moves a waiting job on at once, if it still waits in the delayed set: another process may have done so. */
async function promoteIfHeld(job: TrainingJob): Promise<void> {
  if ((await job.getState()) !== 'delayed') return;
  await job.promote().catch(() => undefined);
}

/**
 * Pausing and resuming jobs from the API. A pause is a marker beside the job: a waiting job is paused at once (a
 * worker that takes it up holds it in the delayed set); a running one is asked, over a channel, to checkpoint at
 * its next batch, and becomes paused when its worker has handed it back. A resume clears the marker and queues a
 * paused job again, to go on from its checkpoint; a running one goes on running.
 */
export class JobPauses {
  constructor(private readonly deps: PauseDeps) {}

  /** Pauses a job; `accepted` when it is running and pauses at its next batch (the API's 202). */
  async pause(tenant: string, id: string): Promise<{ job: JobView; accepted: boolean }> {
    const { redis, keys, lifecycle, reader, queue } = this.deps;
    const view = await reader.get(tenant, id);
    if (view.status === 'paused') return { job: view, accepted: false };
    if (view.status === 'succeeded' || view.status === 'failed' || view.status === 'cancelled')
      throw cannotPause(id, view.status);
    if (view.cancelRequested) throw cannotPause(id, 'a cancel under way');
    const refused = (await REQUEST_PAUSE.run(redis, [
      keys.ended(id),
      keys.status(id),
      keys.cancel(id),
      keys.pause(id),
    ])) as string | null;
    if (refused !== null) throw cannotPause(id, refused === 'cancelling' ? 'a cancel under way' : refused);
    await redis.publish(keys.pauseChannel(), id);
    const job = await queue.getJob(id);
    if (job && WAITING_STATES.has(await job.getState())) {
      await lifecycle.transition({ id, tenant }, 'paused', { message: 'paused before it ran' });
      // Waiting out a retry's backoff: held instead, so no worker takes it up in the meantime.
      if ((await job.getState()) === 'delayed') await job.changeDelay(PAUSE_HOLD_MS).catch(() => undefined);
    }
    const now = await reader.get(tenant, id);
    return { job: now, accepted: now.status === 'running' };
  }

  /**
   * Resumes a paused job: queued again, it goes on from its checkpoint. A pause its worker has not reached yet is
   * withdrawn: the job goes on running.
   */
  async resume(tenant: string, id: string): Promise<JobView> {
    const { redis, keys, lifecycle, reader, queue } = this.deps;
    const view = await reader.get(tenant, id);
    if (view.status !== 'paused' && !view.pauseRequested)
      throw conflict('job_not_paused', `job ${id} is ${view.status}, not paused`, { status: view.status });
    // The marker goes first, and the status is read after it: a worker that pauses the job before the marker
    // went has written `paused` by then, and is queued again here; one that pauses it after sees the marker
    // gone and queues it itself. A job still running is left so: written `queued`, it could no longer end.
    const [, [, status]] = (await redis.multi().del(keys.pause(id)).get(keys.status(id)).exec()) as [
      unknown,
      [Error | null, string | null],
    ];
    if (status === 'paused') {
      await lifecycle.transition({ id, tenant }, 'queued', { message: 'resumed' });
      const job = await queue.getJob(id);
      if (job) await promoteIfHeld(job);
    }
    return reader.get(tenant, id);
  }
}

/** Whether a pause is asked for or holds the job. */
export async function pauseAsked(redis: Redis, keys: RedisKeys, jobId: string): Promise<boolean> {
  return (await redis.exists(keys.pause(jobId))) === 1;
}

/**
 * Holds a paused job on the worker that has it: written `paused` (unless a cancel came first: false then), moved
 * to the delayed set without using up an attempt, its worker slot freed. A resume that came meanwhile found the
 * job still active, so the marker is looked at once more and the job queued again if it is gone; a cancel that
 * came meanwhile has the job taken up again, to end cancelled. Returns the error the processor throws to leave the
 * job where it was put.
 */
export async function holdPaused(
  deps: { redis: Redis; keys: RedisKeys; lifecycle: JobLifecycle },
  job: TrainingJob,
  token: string | undefined,
  lock: { key: string; token: string } | undefined,
): Promise<DelayedError | false> {
  const ref = { id: job.id!, tenant: job.data.tenant };
  const outcome = await deps.lifecycle.transition(
    ref,
    'paused',
    { message: 'paused at a checkpoint; its worker slot is free until it is resumed' },
    { lock, unlessCancelled: true },
  );
  if (outcome === 'cancel_requested') return false;
  await job.moveToDelayed(Date.now() + PAUSE_HOLD_MS, token);
  // A cancel that came as the job was written paused found it still active, so it left the end to this worker:
  // promoted, the job is taken up again at once and ends cancelled there.
  if (await deps.lifecycle.cancelRequested(ref.id)) {
    await promoteIfHeld(job);
    return new DelayedError();
  }
  if (!(await pauseAsked(deps.redis, deps.keys, ref.id))) {
    await deps.lifecycle.transition(ref, 'queued', { message: 'resumed' });
    await promoteIfHeld(job);
  }
  return new DelayedError();
}

import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { statusEvent, type JobEvents, type NewEvent } from '../src/jobs/job-events.js';
import {
  CANCELLED_REASON,
  redisKeys,
  type TrainingPayload,
  type TrainingProgress,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { countStoredModel } from '../src/quotas/tenant-quotas.js';
import { TrainingStopped } from '../src/training/train.js';
import { JobFailure, type RunChannel } from './training-run.js';
import { TrainingProcessExited, type TrainingRunner } from './training-runner.js';

/** A job this worker is running: how to stop it, and its latest pace. */
export interface ActiveJob {
  controller: AbortController;
  samplesPerSecond: number | null;
}

export interface ProcessorDeps {
  runner: TrainingRunner;
  events: JobEvents;
  checkpoints: CheckpointStore;
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** The jobs running here, by id; the worker stops them on cancel and on shutdown. */
  active: Map<string, ActiveJob>;
  /** True once the worker is shutting down: a stopped job goes back to the queue. */
  draining: () => boolean;
}

/** The least time between progress events in a job's log; the job's own progress is updated more often. */
const PROGRESS_EVENT_INTERVAL_MS = 500;

/**
 * The BullMQ processor of training jobs. It keeps the job's event log and state, and hands the training itself
 * to the runner: a cancel stops the run and ends the job cancelled; a shutdown stops it with a checkpoint and
 * puts the job back in the queue for another worker; bad input fails it at once; anything else is retried.
 */
export function createTrainingProcessor(deps: ProcessorDeps) {
  const { events, checkpoints } = deps;

  return async function processTraining(
    job: Job<TrainingPayload, TrainingResultValue>,
    token?: string,
  ): Promise<TrainingResultValue> {
    const id = job.id!;
    const { tenant, spec } = job.data;
    const attempt = Math.max(job.attemptsStarted, job.attemptsMade + 1);
    const log = deps.logger.child({ jobId: id, attempt });
    // The job ends (its checkpoints go, its log gets its terminal event) only while this worker holds its lock:
    // a worker that lost it, to a stall check while it was cut off say, leaves the job to the one that took it.
    const lock = token ? { key: redisKeys.jobLock(deps.prefix, id), token } : undefined;
    const holdsLock = async () => !lock || (await deps.redis.get(lock.key)) === lock.token;
    const end = async (event: NewEvent) => {
      if (!(await holdsLock())) return;
      await checkpoints.deleteAll(tenant, id);
      await events.end(id, event, lock);
    };

    const endCancelled = async () => {
      await end(statusEvent('cancelled'));
      log.info('job cancelled');
      return new UnrecoverableError(CANCELLED_REASON);
    };
    if (await deps.redis.exists(redisKeys.cancel(deps.prefix, id))) throw await endCancelled();

    if ((await events.lastStatus(id)) === 'running') {
      await events.append(
        id,
        statusEvent('retrying', {
          message: 'the worker running this job stopped responding; another takes it up',
        }),
      );
    }
    await events.append(id, statusEvent('running', { attempt }));

    const active: ActiveJob = { controller: new AbortController(), samplesPerSecond: null };
    deps.active.set(id, active);
    // A job taken up as the worker began to stop goes straight back.
    if (deps.draining()) active.controller.abort('handoff');
    // Messages from the run are relayed in order; a relay failure is logged, not fatal to training.
    let relayed = Promise.resolve();
    const relay = (work: () => Promise<unknown>) => {
      relayed = relayed.then(work).then(
        () => undefined,
        (error: unknown) => log.warn({ err: error }, 'could not record training progress'),
      );
    };
    let report: TrainingProgress | null = null;
    let lastProgressEvent = 0;
    const channel: RunChannel = {
      signal: active.controller.signal,
      progress: (next) => {
        report = next;
        active.samplesPerSecond = next.progress?.samplesPerSecond ?? null;
        relay(async () => {
          await job.updateProgress(next);
          const now = Date.now();
          if (next.progress && now - lastProgressEvent >= PROGRESS_EVENT_INTERVAL_MS) {
            lastProgressEvent = now;
            await events.append(id, { type: 'progress', data: { ...next.progress } });
          }
        });
      },
      event: (event: NewEvent) => relay(() => events.append(id, event)),
    };

    try {
      const result = await deps.runner.run({ jobId: id, tenant, spec, attempt }, channel);
      await relayed;
      // Counted whatever the tenant's quota (new training is refused while storage is full, not its results), and
      // once per model however often an attempt gets this far.
      await countStoredModel(deps.redis, deps.prefix, tenant, result.modelId, result.modelBytes);
      await end(statusEvent('succeeded', { modelId: result.modelId, metrics: result.metrics }));
      return result;
    } catch (error) {
      await relayed;
      if (error instanceof TrainingStopped && error.reason === 'cancel') throw await endCancelled();
      if (error instanceof TrainingStopped && error.reason === 'lost') {
        throw new Error('the worker lost the job lock; another worker has the job');
      }
      const stoppedByShutdown =
        (error instanceof TrainingStopped && error.reason === 'handoff') ||
        error instanceof TrainingProcessExited;
      if (deps.draining() && stoppedByShutdown) {
        // Handed back without using up an attempt; the next worker resumes from the checkpoint just written.
        await events.append(
          id,
          statusEvent('queued', {
            message: 'a stopping worker handed the job back; it resumes from its checkpoint',
          }),
        );
        await job.moveToWait(token);
        log.info('job handed back to the queue');
        throw new WaitingError();
      }
      if (error instanceof JobFailure) {
        const failure = { code: error.code, message: error.message };
        if (report) await job.updateProgress({ ...(report as TrainingProgress), error: failure });
        await end(statusEvent('failed', { error: failure }));
        throw error;
      }
      const message = (error as Error).message;
      if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
        await events.append(id, statusEvent('retrying', { attempt, message }));
      } else {
        await end(statusEvent('failed', { error: { code: 'training_failed', message } }));
      }
      throw error;
    } finally {
      deps.active.delete(id);
    }
  };
}

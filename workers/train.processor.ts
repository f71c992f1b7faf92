import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import type { JobEvents, NewEvent } from '../src/jobs/job-events.js';
import type { JobLifecycle, TransitionOptions } from '../src/jobs/job-lifecycle.js';
import type { JobStatus } from '../src/jobs/job-events.js';
import { discardCancelledJob } from '../src/jobs/job-outputs.js';
import { holdPaused, pauseAsked } from '../src/jobs/job-pause.js';
import type { ModelStore } from '../src/models/model-store.js';
import {
  CANCELLED_REASON,
  redisKeysFor,
  type TrainingPayload,
  type TrainingProgress,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { countStoredModel } from '../src/quotas/tenant-quotas.js';
import type { EpochRow } from '../src/training/progress.js';
import { TrainingStopped } from '../src/training/train.js';
import { sweepTrial, type SweepTrial, type SweepTrialDeps } from './sweep-trial.js';
import { JobFailure, type RunChannel } from './training-run.js';
import { TrainingKilled, TrainingProcessExited, type TrainingRunner } from './training-runner.js';

/** A job this worker is running: how to stop it, and its latest pace. */
export interface ActiveJob {
  controller: AbortController;
  samplesPerSecond: number | null;
}

export interface ProcessorDeps {
  runner: TrainingRunner;
  events: JobEvents;
  /** Writes every status the job takes. */
  lifecycle: JobLifecycle;
  checkpoints: CheckpointStore;
  /** Where a run stores its model; a job that ends cancelled has its model deleted. */
  models: ModelStore;
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** The jobs running here, by id; the worker stops them on cancel and on shutdown. */
  active: Map<string, ActiveJob>;
  /** True once the worker is shutting down: a stopped job goes back to the queue. */
  draining: () => boolean;
  /** How sweeps' trials run here; without it a trial runs as a plain job. */
  sweeps?: SweepTrialDeps;
  /** The least time between progress events in a job's log; the job's own progress is updated more often. */
  progressEventIntervalMs: number;
}

type TrainingJob = Job<TrainingPayload, TrainingResultValue>;

/**
 * How a job ends on this worker. It ends (its checkpoints go, its log gets its terminal event) only while this
 * worker holds its lock: a worker that lost it, to a stall check while it was cut off say, leaves the job to the
 * one that took it. A cancel the API accepted wins over any other end.
 */
function jobEnding(deps: ProcessorDeps, job: TrainingJob, token: string | undefined, log: Logger) {
  const id = job.id!;
  const { tenant } = job.data;
  const lock = token ? { key: redisKeysFor(deps.prefix).jobLock(id), token } : undefined;
  const holdsLock = async () => !lock || (await deps.redis.get(lock.key)) === lock.token;
  const ref = { id, tenant };
  return {
    cancelAsked: () => deps.lifecycle.cancelRequested(id),
    /** Moves the job to `status` (not an end: see below). */
    move: (status: JobStatus, data: Record<string, unknown> = {}, options: TransitionOptions = {}) =>
      deps.lifecycle.transition(ref, status, data, options),
    /** Ends the job cancelled, with no model and no checkpoints; returns what the processor throws. */
    async cancelled(): Promise<Error> {
      if (await holdsLock()) {
        // A run that finished, or was killed, as the cancel came may have stored (and counted) its model.
        await discardCancelledJob(deps, tenant, id);
        await deps.lifecycle.transition(ref, 'cancelled', {}, { lock });
      }
      log.info('job cancelled');
      return new UnrecoverableError(CANCELLED_REASON);
    },
    /** Puts the job back in the queue without using up an attempt; returns what the processor throws. */
    async handBack(message: string): Promise<Error> {
      await deps.lifecycle.transition(ref, 'queued', { message });
      await job.moveToWait(token);
      return new WaitingError();
    },
    /** Holds the job paused, its worker slot freed; returns what the processor throws. */
    async paused(): Promise<Error> {
      if (await deps.lifecycle.cancelRequested(id)) return this.cancelled();
      if (!(await holdsLock())) return new Error('the worker lost the job lock; another worker has the job');
      // Resumed before its run reached the pause: never shown paused (nor announced so), it is handed back to
      // go on from the checkpoint just written.
      if (!(await pauseAsked(deps.redis, redisKeysFor(deps.prefix), id))) {
        log.info('pause withdrawn before it was reached; job handed back to the queue');
        return this.handBack(
          'the pause was withdrawn before the job reached it; it goes on from its checkpoint',
        );
      }
      const held = await holdPaused(
        { redis: deps.redis, keys: redisKeysFor(deps.prefix), lifecycle: deps.lifecycle },
        job,
        token,
        lock,
      );
      if (!held) return this.cancelled();
      log.info('job paused');
      return held;
    },
    /** Ends the job in `status` unless a cancel came first: false then, and the job is to end cancelled. */
    async unlessCancelled(status: 'succeeded' | 'failed', data: Record<string, unknown>): Promise<boolean> {
      if (!(await holdsLock())) return true;
      await deps.checkpoints.deleteAll(tenant, id);
      const outcome = await deps.lifecycle.transition(ref, status, data, { lock, unlessCancelled: true });
      return outcome !== 'cancel_requested';
    },
  };
}
type JobEnding = ReturnType<typeof jobEnding>;

/** The channel a run reports through: progress and events relayed in order; a relay failure is only logged. */
function relayChannel(
  deps: ProcessorDeps,
  job: TrainingJob,
  active: ActiveJob,
  log: Logger,
  trial: SweepTrial | null,
) {
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
        if (next.progress && now - lastProgressEvent >= deps.progressEventIntervalMs) {
          lastProgressEvent = now;
          await deps.events.append(job.id!, { type: 'progress', data: { ...next.progress } });
        }
      });
    },
    event: (event: NewEvent) =>
      relay(async () => {
        await deps.events.append(job.id!, event);
        // The sweep's rule judges each epoch; a trial behind finishes the epoch under way.
        if (trial && event.type === 'epoch' && !active.controller.signal.aborted)
          await trial.epoch(event.data as EpochRow, () => active.controller.abort('prune'));
      }),
  };
  return { channel, relayed: () => relayed, report: () => report };
}

/** Records how an attempt that threw ends, and returns what the processor throws for it. */
async function endFailedAttempt(
  deps: ProcessorDeps,
  job: TrainingJob,
  token: string | undefined,
  error: unknown,
  context: { ending: JobEnding; report: TrainingProgress | null; attempt: number; log: Logger },
): Promise<Error> {
  const { ending, log } = context;
  const id = job.id!;
  if (error instanceof TrainingKilled) {
    log.warn(error.message);
    await deps.events.append(id, { type: 'log', data: { level: 'warn', message: error.message } });
  }
  if (error instanceof TrainingStopped && error.reason === 'cancel') return ending.cancelled();
  if (error instanceof TrainingStopped && error.reason === 'pause') return ending.paused();
  if (error instanceof TrainingStopped && error.reason === 'lost') {
    return new Error('the worker lost the job lock; another worker has the job');
  }
  const stoppedByShutdown =
    (error instanceof TrainingStopped && error.reason === 'handoff') ||
    error instanceof TrainingProcessExited;
  if (deps.draining() && stoppedByShutdown) {
    // Handed back without using up an attempt; the next worker resumes from the checkpoint just written.
    log.info('job handed back to the queue');
    return ending.handBack('a stopping worker handed the job back; it resumes from its checkpoint');
  }
  // Asked to cancel, a job ends cancelled whatever else stopped it (a crash, a failure): never failed or retried.
  if (await ending.cancelAsked()) return ending.cancelled();
  if (error instanceof JobFailure) {
    const failure = { code: error.code, message: error.message };
    if (context.report) await job.updateProgress({ ...context.report, error: failure });
    if (!(await ending.unlessCancelled('failed', { error: failure }))) return ending.cancelled();
    return error;
  }
  const message = (error as Error).message;
  if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
    await ending.move('retrying', { attempt: context.attempt, message });
  } else if (!(await ending.unlessCancelled('failed', { error: { code: 'training_failed', message } }))) {
    return ending.cancelled();
  }
  return error as Error;
}

/**
 * The BullMQ processor of training jobs. It keeps the job's event log and state, and hands the training itself
 * to the runner: a cancel stops the run and ends the job cancelled; a pause stops it with a checkpoint and holds
 * the job in the delayed set until it is resumed; a shutdown stops it with a checkpoint and
 * puts the job back in the queue for another worker; bad input fails it at once; anything else is retried.
 */
export function createTrainingProcessor(deps: ProcessorDeps) {
  const { events } = deps;

  return async function processTraining(job: TrainingJob, token?: string): Promise<TrainingResultValue> {
    const id = job.id!;
    const { tenant, spec } = job.data;
    const attempt = Math.max(job.attemptsStarted, job.attemptsMade + 1);
    const log = deps.logger.child({ jobId: id, attempt });
    const ending = jobEnding(deps, job, token, log);
    if (await ending.cancelAsked()) throw await ending.cancelled();
    // Paused while it waited: held again, without running.
    if (await pauseAsked(deps.redis, redisKeysFor(deps.prefix), id)) throw await ending.paused();
    // A sweep's trial runs only while the sweep has a place for it.
    const trial = sweepTrial(deps.sweeps, job, token);
    const held = await trial?.admit();
    if (held) throw held;

    if ((await events.lastStatus(id)) === 'running') {
      await ending.move('retrying', {
        message: 'the worker running this job stopped responding; another takes it up',
      });
    }
    await ending.move('running', { attempt });
    await trial?.started(attempt);

    const active: ActiveJob = { controller: new AbortController(), samplesPerSecond: null };
    deps.active.set(id, active);
    // A job taken up as the worker began to stop goes straight back.
    if (deps.draining()) active.controller.abort('handoff');
    const { channel, relayed, report } = relayChannel(deps, job, active, log, trial);

    let cancelled: Error | undefined;
    let result: TrainingResultValue | undefined;
    try {
      result = await deps.runner.run({ jobId: id, tenant, spec, attempt }, channel);
      await relayed();
      // Counted before the job ends, so a job that ended succeeded always has its model counted: whatever the
      // tenant's quota (new training is refused while storage is full, not its results), and once per model
      // however often an attempt gets this far. A cancel that wins below uncounts it with the model.
      await countStoredModel(deps.redis, deps.prefix, tenant, result.modelId, result.modelBytes);
      // Succeeded only if no cancel was accepted first; otherwise the model goes and the job ends cancelled.
      const ended = { modelId: result.modelId, metrics: result.metrics };
      if (!(await ending.unlessCancelled('succeeded', ended))) throw (cancelled = await ending.cancelled());
      return result;
    } catch (error) {
      if (error === cancelled) throw error;
      await relayed();
      throw await endFailedAttempt(deps, job, token, error, { ending, report: report(), attempt, log });
    } finally {
      deps.active.delete(id);
      await trial
        ?.left(result)
        .catch((error: unknown) => log.warn({ err: error }, 'could not free the trial’s place'));
    }
  };
}

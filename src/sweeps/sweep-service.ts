import { randomInt } from 'node:crypto';
import type { FlowProducer } from 'bullmq';
import type { Redis } from 'ioredis';
import { conflict, ProblemError } from '../errors.js';
import { newId } from '../ids.js';
import type { JobEvent, JobEvents } from '../jobs/job-events.js';
import { createOnce } from '../jobs/idempotency.js';
import type { JobService } from '../jobs/job-service.js';
import {
  QUEUES,
  redisKeysFor,
  SWEEP_JOB_OPTIONS,
  type RedisKeys,
  type SweepPayload,
  type TrainingPayload,
} from '../queue/catalogue.js';
import { SweepLog } from './sweep-log.js';
import { missing, SweepReader } from './sweep-reader.js';
import { resolveSweepSpec, type SweepRequest, type SweepSpec, type TrialOfSweep } from './sweep-spec.js';
import { checkedTrials, type CheckedTrial } from './sweep-trials.js';
import type { SweepQueue, SweepView } from './sweep-view.js';

export interface SweepServiceOptions {
  jobs: JobService;
  events: JobEvents;
  queue: SweepQueue;
  flows: FlowProducer;
  redis: Redis;
  prefix: string;
  idempotencyTtlSeconds: number;
}

/** What a trial's training job carries of its sweep. */
export const trialOf = (spec: SweepSpec, sweepId: string, index: number): TrialOfSweep => ({
  sweepId,
  index,
  metric: spec.metric,
  goal: spec.goal,
  earlyStopping: spec.earlyStopping,
  parallel: spec.parallel,
});

/** Submits, reads, lists and cancels sweeps: a parent job in the sweeps queue, one training job per trial. */
export class SweepService {
  private readonly keys: RedisKeys;
  private readonly log: SweepLog;
  private readonly reader: SweepReader;

  constructor(private readonly options: SweepServiceOptions) {
    this.keys = redisKeysFor(options.prefix);
    this.log = new SweepLog(options.redis, options.prefix);
    this.reader = new SweepReader({
      ...options,
      readJob: (tenant, id) => options.jobs.get(tenant, id, { place: false }),
    });
  }

  /**
   * Checks every trial as a job, admits each against the tenant's quota, and adds the sweep as one BullMQ flow:
   * the parent and every trial at once, or nothing. A trial's end never blocks the parent, whatever it was.
   */
  async submit(
    tenant: string,
    request: SweepRequest,
    idempotencyKey?: string,
  ): Promise<{ sweep: SweepView; created: boolean }> {
    if (idempotencyKey === undefined)
      return { sweep: await this.create(tenant, request, newId('swp')), created: true };
    const where = { prefix: this.options.prefix, tenant, ttlSeconds: this.options.idempotencyTtlSeconds };
    const creation = {
      create: (id: string) => this.create(tenant, request, id),
      // Not there yet while the first request is still adding it.
      existing: (id: string) => this.get(tenant, id).catch(missing),
    };
    const { job, created } = await createOnce(
      this.options.redis,
      where,
      idempotencyKey,
      request,
      creation,
      'swp',
    );
    return { sweep: job, created };
  }

  /** {@link submit} under the id `id`. */
  private async create(tenant: string, request: SweepRequest, id: string): Promise<SweepView> {
    const { jobs, redis, flows, queue } = this.options;
    const spec = resolveSweepSpec(request, () => randomInt(2 ** 31 - 1));
    const trials = await checkedTrials(tenant, spec, id, jobs, request.trials);
    const createdAt = new Date().toISOString();
    const admitted: CheckedTrial[] = [];
    try {
      for (const trial of trials) {
        await (
          await jobs.admission.admit(tenant, trial.jobId, trial.spec)
        ).told;
        admitted.push(trial);
      }
      await this.log.status(id, 'queued', { trials: trials.length });
      await redis.zadd(this.keys.tenantSweeps(tenant), 0, id);
      const payload: SweepPayload = {
        tenant,
        spec,
        trials: trials.map(({ index, jobId, settings }) => ({ index, jobId, settings })),
        createdAt,
      };
      await flows.add({
        name: 'sweep',
        queueName: QUEUES.sweeps,
        data: payload,
        opts: { ...SWEEP_JOB_OPTIONS, jobId: id },
        children: trials.map((trial) => ({
          name: 'train',
          queueName: QUEUES.training,
          data: {
            tenant,
            spec: trial.spec,
            createdAt,
            sweep: trialOf(spec, id, trial.index),
          } satisfies TrainingPayload,
          opts: { ...jobs.trainingJobOptions(), jobId: trial.jobId, ignoreDependencyOnFailure: true },
        })),
      });
    } catch (error) {
      // Undone only if the sweep never reached the queue.
      if (await queue.getJob(id)) throw error;
      for (const trial of admitted) await jobs.admission.undo(tenant, trial.jobId, trial.spec);
      await redis.zrem(this.keys.tenantSweeps(tenant), id);
      await this.options.events.delete(id);
      throw error;
    }
    return this.get(tenant, id);
  }

  /** The sweep with its trials; a 404 for another tenant's. */
  get(tenant: string, id: string): Promise<SweepView> {
    return this.reader.get(tenant, id);
  }

  /** Newest first; `cursor` is the last id of the previous page. */
  list(tenant: string, options: { limit: number; cursor?: string }) {
    return this.reader.list(tenant, options);
  }

  /**
   * Cancels the sweep: no trial starts from here on, and every unfinished trial is cancelled as a job is (a queued
   * one at once, a running one within a batch). The sweep ends cancelled once they have; a 409 once it has ended.
   */
  async cancel(tenant: string, id: string): Promise<SweepView> {
    const view = await this.get(tenant, id);
    if (view.status === 'cancelled') return view;
    if (view.status === 'succeeded' || view.status === 'failed')
      throw conflict(
        'sweep_finished',
        `sweep ${id} has already ${view.status}; only unfinished sweeps can be cancelled`,
        { sweepStatus: view.status },
      );
    await this.options.redis.set(this.keys.sweepCancel(id), '1');
    await this.log.log(id, 'cancel requested: its unfinished trials are cancelled');
    for (const trial of view.trials) {
      if (trial.status === 'succeeded' || trial.status === 'failed' || trial.status === 'cancelled') continue;
      await this.options.jobs.cancel(tenant, trial.jobId).catch((error: unknown) => {
        // Ended meanwhile: nothing left to cancel.
        if (!(error instanceof ProblemError && error.status === 409)) throw error;
      });
    }
    return this.get(tenant, id);
  }

  /** The sweep's events after `after`, checking that the sweep is the tenant's. */
  async readEvents(tenant: string, id: string, after: string, limit: number): Promise<JobEvent[]> {
    await this.get(tenant, id);
    return this.options.events.read(id, after, limit);
  }
}

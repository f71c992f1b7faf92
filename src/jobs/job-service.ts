import { randomInt } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DatasetRecordCache } from '../datasets/dataset-record-cache.js';
import type { DatasetStore } from '../datasets/dataset-store.js';
import { conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { modelIdOf, type AliasStore } from '../models/alias-store.js';
import type { ModelStore } from '../models/model-store.js';
import {
  redisKeysFor,
  type RedisKeys,
  type TrainingPayload,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import type { TenantQuotas } from '../quotas/tenant-quotas.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { JobBudget } from './job-cost.js';
import type { JobEvent, JobEvents, JobStatus } from './job-events.js';
import type { JobLifecycle } from './job-lifecycle.js';
import { discardCancelledJob, failureOf, type JobOutputs } from './job-outputs.js';
import { resolveJobSpec, type JobRequest, type JobSpec } from './job-spec.js';
import { createOnce } from './idempotency.js';
import { checkJobAgainstRecords, checkJobRequest, type JobRecords } from './job-validation.js';
import { archiveCancelled } from './cancelled-jobs.js';
import { JobPauses, WAITING_STATES } from './job-pause.js';
import { JobReader, JUST_QUEUED, type JobView } from './job-view.js';
import { ResourceGuard, type ResourceKind } from './resource-guard.js';
import { JobAdmission } from './job-admission.js';

export interface JobServiceOptions {
  queue: Queue<TrainingPayload, TrainingResultValue>;
  redis: Redis;
  prefix: string;
  datasets: DatasetStore;
  models: ModelStore;
  /** Resolves a `baseModel` given as an alias; without it, only model ids name a base. */
  aliases?: Pick<AliasStore, 'get'>;
  events: JobEvents;
  lifecycle: JobLifecycle;
  checkpoints: CheckpointStore;
  /** Per-tenant quotas checked on submission; none in tools that only read jobs. */
  quotas?: TenantQuotas;
  idempotencyTtlSeconds: number;
  /** What one job may cost, checked on submission. */
  budget: JobBudget;
}

export { modelIdOfJob } from './job-outputs.js';
export { failureOf };
export type { JobView, ResourceKind };

/** Submits, reads and lists training jobs. Everything checkable at submission is checked here. */
export class JobService {
  private readonly queue: Queue<TrainingPayload, TrainingResultValue>;
  private readonly redis: Redis;
  private readonly prefix: string;
  /** Submission reads dataset records here: they never change once stored. */
  private readonly datasets: DatasetRecordCache;
  private readonly models: ModelStore;
  private readonly events: JobEvents;
  private readonly lifecycle: JobLifecycle;
  private readonly checkpoints: CheckpointStore;
  private readonly reader: JobReader;
  private readonly guard: ResourceGuard;
  private readonly keys: RedisKeys;
  private readonly pauses: JobPauses;
  /** Quota, claims, index and `queued` status of new jobs; sweeps admit their trials through it too. */
  readonly admission: JobAdmission;

  constructor(private readonly options: JobServiceOptions) {
    ({
      queue: this.queue,
      redis: this.redis,
      prefix: this.prefix,
      models: this.models,
      events: this.events,
      lifecycle: this.lifecycle,
      checkpoints: this.checkpoints,
    } = options);
    this.datasets = new DatasetRecordCache(options.datasets);
    this.reader = new JobReader(this.queue, this.redis, this.prefix);
    this.guard = new ResourceGuard(this.queue, this.redis, this.prefix);
    this.keys = redisKeysFor(this.prefix);
    this.pauses = new JobPauses({ ...options, keys: this.keys, reader: this.reader });
    this.admission = new JobAdmission({ ...options, keys: this.keys, guard: this.guard });
  }

  /** See {@link JobPauses.pause}. */
  pause(tenant: string, id: string): Promise<{ job: JobView; accepted: boolean }> {
    return this.pauses.pause(tenant, id);
  }

  /** See {@link JobPauses.resume}. */
  resume(tenant: string, id: string): Promise<JobView> {
    return this.pauses.resume(tenant, id);
  }

  /** Validates a request against the stored datasets and models; returns the spec with defaults filled. */
  async check(tenant: string, request: JobRequest): Promise<JobSpec> {
    return (await this.inspect(tenant, request)).spec;
  }

  /** {@link check}, also returning the records the job names. */
  async inspect(tenant: string, request: JobRequest): Promise<{ spec: JobSpec; records: JobRecords }> {
    checkJobRequest(request);
    const requested = resolveJobSpec(request, () => randomInt(2 ** 31 - 1));
    // A base named by an alias is the model it points to now: the job keeps that model whatever the alias does.
    if (requested.baseModel && this.options.aliases)
      requested.baseModel = await modelIdOf(this.options.aliases, tenant, requested.baseModel);
    const dataset = await this.datasets.get(tenant, requested.dataset);
    if (!dataset) throw notFound('dataset', requested.dataset);
    const records: JobRecords = { dataset };
    if ('dataset' in requested.validation) {
      records.validation = await this.datasets.get(tenant, requested.validation.dataset);
      if (!records.validation) throw notFound('dataset', requested.validation.dataset);
    }
    if (requested.baseModel) {
      records.base = await this.models.get(tenant, requested.baseModel);
      if (!records.base) throw notFound('model', requested.baseModel);
    }
    return { spec: checkJobAgainstRecords(requested, records, this.options.budget), records };
  }

  /**
   * Checks and enqueues a job. With an idempotency key, the same key and body give the job the first request
   * made (`created` false), and the same key with another body is a 422; of concurrent requests with one key,
   * one makes the job and the others wait for it.
   */
  async submit(
    tenant: string,
    request: JobRequest,
    idempotencyKey?: string,
  ): Promise<{ job: JobView; created: boolean }> {
    if (idempotencyKey === undefined)
      return { job: await this.create(tenant, request, newId('job')), created: true };
    const where = { prefix: this.prefix, tenant, ttlSeconds: this.options.idempotencyTtlSeconds };
    return createOnce(this.redis, where, idempotencyKey, request, {
      create: (id) => this.create(tenant, request, id),
      existing: async (id) => {
        const found = await this.reader.find(id);
        return found ? this.reader.view(found) : undefined;
      },
    });
  }

  /**
   * Checks and enqueues a job under `id`; see {@link ResourceGuard} for how it keeps its datasets and base. Past
   * the records' reads, two round trips to Redis: the admission (quota, claim, the tenant's index, the `queued`
   * status and the job's place among the tenant's queued jobs, in one script), then the queue's add together with
   * the telling of the `queued` status's listeners, if any hears it (none does today: nothing else is sent).
   */
  private async create(tenant: string, request: JobRequest, id: string): Promise<JobView> {
    const spec = await this.check(tenant, request);
    const { place, told } = await this.admission.admit(tenant, id, spec);
    try {
      const payload: TrainingPayload = { tenant, spec, createdAt: new Date().toISOString() };
      // Sent together: the listeners of a new job's `queued` wait on nothing the queue holds. Should their mark
      // not be cleared, they are told again later (JobLifecycle.retell): the job is not refused for it.
      const [job] = await Promise.all([
        this.queue.add('train', payload, { jobId: id }),
        told.catch(() => false),
      ]);
      // Added behind every other job, it has as many of the tenant's ahead as were queued before it.
      const known = { marks: JUST_QUEUED, queuePosition: place };
      return await this.reader.view({ snapshot: job, state: 'waiting' }, known);
    } catch (error) {
      // Undone only if the job never reached the queue.
      if (await this.queue.getJob(id)) throw error;
      await this.admission.undo(tenant, id, spec);
      throw error;
    }
  }

  /**
   * Cancels a job. A queued or paused one is taken off the queue at once and ends `cancelled`; for a running one the
   * request is recorded and published, and the worker running it stops within a batch (`accepted`: the job
   * is still running). Cancelling a cancelled job again is fine; a succeeded or failed one is a 409. The request
   * is recorded only if the job has not ended, atomically with the worker's end, so a 202 always ends cancelled.
   */
  async cancel(tenant: string, id: string): Promise<{ job: JobView; accepted: boolean }> {
    const found = await this.reader.find(id);
    if (!found || found.snapshot.data.tenant !== tenant) throw notFound('job', id);
    const view = await this.reader.view(found);
    if (view.status === 'cancelled') return { job: view, accepted: false };
    const finished = (status: string) =>
      conflict('job_finished', `job ${id} has already ${status}; only unfinished jobs can be cancelled`, {
        jobStatus: status,
      });
    if (view.status === 'succeeded' || view.status === 'failed') throw finished(view.status);
    // Recorded before anything else: a worker that takes the job from here on sees it and stops.
    const ended = await this.lifecycle.requestCancel(id);
    if (ended === 'succeeded' || ended === 'failed') throw finished(ended);
    if (ended !== null) {
      // The log ended first, so nothing was recorded. Ended cancelled: a 202 while the worker is still stopping.
      // Ended some other way (its status unreadable): as the job shows now, never as a cancel recorded.
      const now = await this.get(tenant, id);
      if (ended === 'cancelled') return { job: now, accepted: now.status !== 'cancelled' };
      if (now.status === 'cancelled') return { job: now, accepted: false };
      throw finished(now.status === 'succeeded' || now.status === 'failed' ? now.status : 'ended');
    }
    await this.redis.publish(this.keys.cancelChannel(), id);
    const job = await this.queue.getJob(id);
    const state = job ? await job.getState() : 'unknown';
    if (job && WAITING_STATES.has(state)) {
      const record = await archiveCancelled(this.redis, this.prefix, job);
      if (!record) {
        // A worker took it in the meantime (it is locked): it sees the cancel when it starts.
        const now = await this.get(tenant, id);
        return { job: now, accepted: now.status === 'running' };
      }
      await this.lifecycle.transition({ id, tenant }, 'cancelled', {
        message: view.status === 'paused' ? 'cancelled while paused' : 'cancelled before it ran',
      });
      await this.redis.del(this.keys.pause(id));
      // A job waiting to retry may have checkpoints, or a model stored just before it crashed, from earlier attempts.
      await discardCancelledJob(this.outputs(), tenant, id);
      return {
        job: await this.reader.view({ snapshot: { ...record, id }, state: 'cancelled' }),
        accepted: false,
      };
    }
    return { job: await this.get(tenant, id), accepted: true };
  }

  /** The job's events after `after`, checking that the job is the tenant's. */
  async readEvents(tenant: string, id: string, after: string, limit: number): Promise<JobEvent[]> {
    await this.getSettled(tenant, id);
    return this.events.read(id, after, limit);
  }

  /** {@link get}, having first ended the job's log if it finished without saying so (see {@link settle}). */
  async getSettled(tenant: string, id: string): Promise<JobView> {
    const view = await this.get(tenant, id);
    if (!(await this.events.ended(id))) await this.endLog(tenant, view);
    return view;
  }

  /**
   * Ends the event log of a job that finished without its worker saying so (a job failed by stall detection
   * after its worker died, say). Idempotent: a job's log has one terminal event.
   */
  async settle(id: string): Promise<void> {
    if (await this.events.ended(id)) return;
    const found = await this.reader.find(id);
    if (found) await this.endLog(found.snapshot.data.tenant, await this.reader.view(found));
  }

  /**
   * Appends the terminal event a finished job's log lacks; nothing for an unfinished job. A failed job with a
   * cancel recorded (a 202 that stall detection overtook) ends cancelled, as cancelled jobs do: no model.
   */
  private async endLog(tenant: string, view: JobView): Promise<void> {
    const job = { id: view.id, tenant };
    let ended: string | null = null;
    if (view.status === 'failed') {
      await this.checkpoints.deleteAll(tenant, view.id);
      ended = await this.lifecycle.fail(job, { error: view.error });
    }
    if (view.status === 'succeeded')
      await this.lifecycle.transition(job, 'succeeded', { modelId: view.modelId });
    if (view.status === 'cancelled' && (await this.lifecycle.transition(job, 'cancelled')) === 'moved')
      ended = 'cancelled';
    if (ended === 'cancelled') await discardCancelledJob(this.outputs(), tenant, view.id);
  }

  private outputs(): JobOutputs {
    return { models: this.models, checkpoints: this.checkpoints, redis: this.redis, prefix: this.prefix };
  }

  /** Deletes a dataset or model with `remove` unless an unfinished job uses it (409 naming the jobs). */
  async deleteUnused(
    tenant: string,
    kind: ResourceKind,
    id: string,
    remove: () => Promise<void>,
  ): Promise<void> {
    if (kind !== 'dataset') return this.guard.deleteUnused(tenant, kind, id, remove);
    this.datasets.forget(tenant, id);
    try {
      await this.guard.deleteUnused(tenant, kind, id, remove);
    } finally {
      this.datasets.forget(tenant, id);
    }
  }

  /** The options every training job is added with (attempts, backoff, retention in the queue). */
  trainingJobOptions() {
    return this.queue.defaultJobOptions;
  }

  /** See {@link JobReader.get}. */
  async get(tenant: string, id: string, options?: { place?: boolean }): Promise<JobView> {
    return this.reader.get(tenant, id, options);
  }

  /** Newest first; `cursor` is the last id of the previous page. */
  list(tenant: string, options: { status?: JobStatus; limit: number; cursor?: string }) {
    return this.reader.list(tenant, options);
  }
}

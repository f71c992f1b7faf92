import { createHash, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DatasetStore } from '../datasets/dataset-store.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { newId } from '../ids.js';
import type { ModelStore } from '../models/model-store.js';
import {
  CANCELLED_REASON,
  DELETING_TTL_SECONDS,
  redisKeys,
  type TrainingPayload,
  type TrainingProgress,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import type { TenantQuotas } from '../quotas/tenant-quotas.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { JobBudget } from './job-cost.js';
import { statusEvent, type JobEvent, type JobEvents, type JobStatus } from './job-events.js';
import { discardCancelledJob, type JobOutputs } from './job-outputs.js';
import { resolveJobSpec, type JobRequest, type JobSpec } from './job-spec.js';
import { checkJobAgainstRecords, checkJobRequest, type JobRecords } from './job-validation.js';
import { queuePosition } from './queue-position.js';

/** What a job view is made from: a BullMQ job, or the record a job cancelled before it ran left behind. */
type JobSnapshot = Pick<
  Job<TrainingPayload, TrainingResultValue>,
  'data' | 'progress' | 'returnvalue' | 'failedReason' | 'attemptsMade' | 'processedOn' | 'finishedOn'
> & { id?: string; attemptsStarted?: number };

interface Found {
  snapshot: JobSnapshot;
  /** BullMQ's state, or 'cancelled' for a job removed from the queue by a cancel. */
  state: string;
}

export interface JobServiceOptions {
  /** Per-tenant quotas checked on submission; none in tools that only read jobs. */
  quotas?: TenantQuotas;
  idempotencyTtlSeconds: number;
  /** What one job may cost, checked on submission. */
  budget: JobBudget;
}

/** A job as GET /v1/jobs/:id shows it. */
export interface JobView {
  id: string;
  name: string;
  status: JobStatus;
  queuePosition: number | null;
  progress: TrainingProgress['progress'];
  /** While running: seconds left at the current pace. */
  etaSeconds: number | null;
  /** A cancel was asked for and the worker running the job has yet to stop. */
  cancelRequested: boolean;
  metrics: TrainingProgress['metrics'];
  history: TrainingProgress['history'];
  modelId: string | null;
  error: { code: string; message: string } | null;
  backend: TrainingProgress['backend'];
  attempts: number;
  spec: JobSpec;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const MAX_LIST_SCAN = 5000;
/** How long a request waits for another one with the same Idempotency-Key to create its job. */
const IDEMPOTENCY_WAIT_MS = 10_000;
/** A claim on an Idempotency-Key lasts this long until its job is queued, so a crashed request frees it soon. */
const IDEMPOTENCY_LEASE_SECONDS = 30;
const QUEUED_STATES = new Set(['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children']);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so equal requests have equal text whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// Deletes a key only while it still holds the value this request put there.
const DELETE_IF_OURS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export type ResourceKind = 'dataset' | 'model';

/** The datasets and base model a job reads. */
function resourcesOf(spec: JobSpec): Array<{ kind: ResourceKind; id: string }> {
  const used: Array<{ kind: ResourceKind; id: string }> = [{ kind: 'dataset', id: spec.dataset }];
  if ('dataset' in spec.validation) used.push({ kind: 'dataset', id: spec.validation.dataset });
  if (spec.baseModel) used.push({ kind: 'model', id: spec.baseModel });
  return used;
}

export { modelIdOfJob } from './job-outputs.js';

/** Submits, reads and lists training jobs. Everything checkable at submission is checked here. */
export class JobService {
  constructor(
    private readonly queue: Queue<TrainingPayload, TrainingResultValue>,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly datasets: DatasetStore,
    private readonly models: ModelStore,
    private readonly events: JobEvents,
    private readonly checkpoints: CheckpointStore,
    private readonly options: JobServiceOptions,
  ) {}

  private indexKey(tenant: string): string {
    return `${this.prefix}:tenants:${tenant}:jobs`;
  }

  /** The unfinished-or-not jobs that use a dataset or model; finished ones are pruned when it is deleted. */
  private refKey(tenant: string, kind: ResourceKind, id: string): string {
    return `${this.prefix}:tenants:${tenant}:${kind}s:${id}:jobs`;
  }

  private deletingKey(tenant: string, kind: ResourceKind, id: string): string {
    return redisKeys.deleting(this.prefix, tenant, kind, id);
  }

  /** Validates a request against the stored datasets and models; returns the spec with defaults filled. */
  async check(tenant: string, request: JobRequest): Promise<JobSpec> {
    checkJobRequest(request);
    const spec = resolveJobSpec(request, () => randomInt(2 ** 31 - 1));
    const dataset = await this.datasets.get(tenant, spec.dataset);
    if (!dataset) throw notFound('dataset', spec.dataset);
    const records: JobRecords = { dataset };
    if ('dataset' in spec.validation) {
      records.validation = await this.datasets.get(tenant, spec.validation.dataset);
      if (!records.validation) throw notFound('dataset', spec.validation.dataset);
    }
    if (spec.baseModel) {
      records.base = await this.models.get(tenant, spec.baseModel);
      if (!records.base) throw notFound('model', spec.baseModel);
    }
    checkJobAgainstRecords(spec, records, this.options.budget);
    return spec;
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
    const key = redisKeys.idempotency(this.prefix, tenant, sha256(idempotencyKey));
    const fingerprint = sha256(canonicalJson(request));
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    while (Date.now() < deadline) {
      const id = newId('job');
      const claim = JSON.stringify({ fingerprint, jobId: id });
      if (await this.redis.set(key, claim, 'EX', IDEMPOTENCY_LEASE_SECONDS, 'NX')) {
        let job: JobView;
        try {
          job = await this.create(tenant, request, id);
        } catch (error) {
          // A request that made no job leaves the key free for a corrected retry.
          await this.redis.eval(DELETE_IF_OURS, 1, key, claim);
          throw error;
        }
        await this.redis.set(key, claim, 'EX', this.options.idempotencyTtlSeconds);
        return { job, created: true };
      }
      const stored = await this.redis.get(key);
      if (!stored) continue;
      const first = JSON.parse(stored) as { fingerprint: string; jobId: string };
      if (first.fingerprint !== fingerprint) {
        throw unprocessable(
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request body; use a new key for a new job',
          { field: 'Idempotency-Key' },
        );
      }
      const found = await this.find(first.jobId);
      if (found) return { job: await this.view(found), created: false };
      await sleep(25);
    }
    throw conflict(
      'idempotency_in_progress',
      'a request with this Idempotency-Key is still being processed; retry shortly',
      { field: 'Idempotency-Key' },
    );
  }

  /**
   * Checks and enqueues a job under `id`. The job first records that it uses its datasets and base model, then
   * makes sure none of them is being deleted; a delete marks the resource, then looks for users. Whichever runs
   * second sees the other, so a job is never accepted on a resource that is deleted from under it.
   */
  private async create(tenant: string, request: JobRequest, id: string): Promise<JobView> {
    const spec = await this.check(tenant, request);
    await this.options.quotas?.checkStorageLeft(tenant);
    await this.options.quotas?.admitJob(tenant, id);
    const used = resourcesOf(spec);
    const refs = this.redis.multi();
    for (const { kind, id: resource } of used) refs.sadd(this.refKey(tenant, kind, resource), id);
    await refs.exec();
    try {
      for (const { kind, id: resource } of used) {
        if (await this.redis.exists(this.deletingKey(tenant, kind, resource))) throw notFound(kind, resource);
      }
      const payload: TrainingPayload = { tenant, spec, createdAt: new Date().toISOString() };
      await this.redis.zadd(this.indexKey(tenant), 0, id);
      // The log starts before a worker can see the job, so 'queued' always comes first.
      await this.events.append(id, statusEvent('queued'));
      const job = await this.queue.add('train', payload, { jobId: id });
      return await this.view({ snapshot: job, state: 'waiting' });
    } catch (error) {
      // Undone only if the job never reached the queue.
      if (await this.queue.getJob(id)) throw error;
      const undo = this.redis.multi();
      for (const { kind, id: resource } of used) undo.srem(this.refKey(tenant, kind, resource), id);
      await undo.exec();
      await this.events.delete(id);
      await this.options.quotas?.releaseJob(tenant, id);
      throw error;
    }
  }

  /**
   * Cancels a job. A queued one is taken off the queue at once and ends `cancelled`; for a running one the
   * request is recorded and published, and the worker running it stops within a batch (`accepted`: the job
   * is still running). Cancelling a cancelled job again is fine; a succeeded or failed one is a 409. The request
   * is recorded only if the job has not ended, atomically with the worker's end, so a 202 always ends cancelled.
   */
  async cancel(tenant: string, id: string): Promise<{ job: JobView; accepted: boolean }> {
    const found = await this.find(id);
    if (!found || found.snapshot.data.tenant !== tenant) throw notFound('job', id);
    const view = await this.view(found);
    if (view.status === 'cancelled') return { job: view, accepted: false };
    const finished = (status: string) =>
      conflict('job_finished', `job ${id} has already ${status}; only unfinished jobs can be cancelled`, {
        status,
      });
    if (view.status === 'succeeded' || view.status === 'failed') throw finished(view.status);
    // Recorded before anything else: a worker that takes the job from here on sees it and stops.
    const ended = await this.events.requestCancel(id);
    if (ended === 'succeeded' || ended === 'failed') throw finished(ended);
    if (ended !== null) {
      // The log ended first, so nothing was recorded. Ended cancelled: a 202 while the worker is still stopping.
      // Ended some other way (its status unreadable): as the job shows now, never as a cancel recorded.
      const now = await this.get(tenant, id);
      if (ended === 'cancelled') return { job: now, accepted: now.status !== 'cancelled' };
      if (now.status === 'cancelled') return { job: now, accepted: false };
      throw finished(now.status === 'succeeded' || now.status === 'failed' ? now.status : 'ended');
    }
    await this.redis.publish(redisKeys.cancelChannel(this.prefix), id);
    const job = await this.queue.getJob(id);
    const state = job ? await job.getState() : 'unknown';
    if (job && QUEUED_STATES.has(state)) {
      const record: JobSnapshot = {
        data: job.data,
        progress: job.progress,
        returnvalue: null as unknown as TrainingResultValue,
        failedReason: CANCELLED_REASON,
        attemptsMade: job.attemptsMade,
        attemptsStarted: job.attemptsStarted,
        processedOn: job.processedOn,
        finishedOn: Date.now(),
      };
      // Recorded before the job leaves the queue, so it is never in neither.
      await this.redis.hset(redisKeys.cancelled(this.prefix), id, JSON.stringify(record));
      try {
        await job.remove();
      } catch {
        // A worker took it in the meantime (it is locked): it sees the cancel when it starts.
        await this.redis.hdel(redisKeys.cancelled(this.prefix), id);
        const now = await this.get(tenant, id);
        return { job: now, accepted: now.status === 'running' };
      }
      await this.events.end(id, statusEvent('cancelled', { message: 'cancelled before it ran' }));
      await this.options.quotas?.releaseJob(tenant, id);
      // A job waiting to retry may have checkpoints, or a model stored just before it crashed, from earlier attempts.
      await discardCancelledJob(this.outputs(), tenant, id);
      return { job: await this.view({ snapshot: { ...record, id }, state: 'cancelled' }), accepted: false };
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
    const found = await this.find(id);
    if (found) await this.endLog(found.snapshot.data.tenant, await this.view(found));
  }

  /**
   * Appends the terminal event a finished job's log lacks; nothing for an unfinished job. A failed job with a
   * cancel recorded (a 202 that stall detection overtook) ends cancelled, as cancelled jobs do: no model.
   */
  private async endLog(tenant: string, view: JobView): Promise<void> {
    let ended: string | null = null;
    if (view.status === 'failed') {
      await this.checkpoints.deleteAll(tenant, view.id);
      ended = await this.events.endFailed(view.id, { error: view.error });
    }
    if (view.status === 'succeeded')
      await this.events.end(view.id, statusEvent('succeeded', { modelId: view.modelId }));
    if (view.status === 'cancelled' && (await this.events.end(view.id, statusEvent('cancelled'))))
      ended = 'cancelled';
    if (ended === 'cancelled') await discardCancelledJob(this.outputs(), tenant, view.id);
  }

  private outputs(): JobOutputs {
    return { models: this.models, checkpoints: this.checkpoints, redis: this.redis, prefix: this.prefix };
  }

  /**
   * Deletes a dataset or model with `remove` unless an unfinished job uses it (409 naming the jobs). See
   * {@link submit} for how the two stay out of each other's way.
   */
  async deleteUnused(
    tenant: string,
    kind: ResourceKind,
    id: string,
    remove: () => Promise<void>,
  ): Promise<void> {
    const deleting = this.deletingKey(tenant, kind, id);
    await this.redis.set(deleting, '1', 'EX', DELETING_TTL_SECONDS);
    const refKey = this.refKey(tenant, kind, id);
    const users: string[] = [];
    for (const jobId of await this.redis.smembers(refKey)) {
      const state = await this.queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed' || state === 'unknown')
        await this.redis.srem(refKey, jobId);
      else users.push(jobId);
    }
    if (users.length > 0) {
      await this.redis.del(deleting);
      throw conflict(`${kind}_in_use`, `${kind} ${id} is used by unfinished jobs: ${users.join(', ')}`, {
        jobs: users,
      });
    }
    await remove();
    await this.redis.del(refKey);
  }

  /** A job in the queue, or one cancelled before it ran. */
  private async find(id: string): Promise<Found | undefined> {
    // The state first: a job read after it is at least as far along, so a finished state always comes with its
    // result (read the other way round, a job finishing in between shows as succeeded without its model).
    const state = await this.queue.getJobState(id);
    const job = await this.queue.getJob(id);
    if (job) return { snapshot: job, state: state === 'unknown' ? await job.getState() : state };
    const record = await this.redis.hget(redisKeys.cancelled(this.prefix), id);
    if (record) return { snapshot: { ...(JSON.parse(record) as JobSnapshot), id }, state: 'cancelled' };
    return undefined;
  }

  async get(tenant: string, id: string): Promise<JobView> {
    const found = await this.find(id);
    if (!found || found.snapshot.data.tenant !== tenant) throw notFound('job', id);
    return this.view(found);
  }

  /** Newest first; `cursor` is the last id of the previous page. */
  async list(
    tenant: string,
    options: { status?: JobStatus; limit: number; cursor?: string },
  ): Promise<{ items: JobView[]; nextCursor: string | null }> {
    // One item past the page tells whether there is a next page. With a status filter the scan is bounded,
    // and a page cut short by the bound still hands out a cursor to go on from.
    const wanted = options.limit + 1;
    const items: JobView[] = [];
    let cursor = options.cursor;
    const page = Math.max(wanted, 50);
    let exhausted = false;
    for (let scanned = 0; items.length < wanted && scanned < MAX_LIST_SCAN; scanned += page) {
      const ids = await this.redis.zrevrangebylex(
        this.indexKey(tenant),
        cursor ? `(${cursor}` : '+',
        '-',
        'LIMIT',
        0,
        page,
      );
      exhausted = ids.length < page;
      for (const id of ids) {
        const found = await this.find(id);
        const view = found ? await this.view(found) : undefined;
        if (view && (!options.status || view.status === options.status)) items.push(view);
        if (items.length === wanted) break;
        cursor = id;
      }
      if (exhausted) break;
    }
    if (items.length === wanted) {
      items.pop();
      return { items, nextCursor: items.at(-1)!.id };
    }
    return { items, nextCursor: exhausted ? null : (cursor ?? null) };
  }

  /** 1 when the job runs next of its tenant's jobs: other tenants' jobs are not counted, nor shown. */
  private queuePosition(tenant: string, id: string): Promise<number> {
    const keys = { wait: this.queue.keys.wait!, tenantActiveJobs: redisKeys.activeJobs(this.prefix, tenant) };
    return queuePosition(this.redis, keys, id);
  }

  /** A failed job with a cancel recorded is cancelled: the cancel was answered 202 before it failed. */
  private statusOf({ snapshot, state }: Found, cancelAsked: boolean): JobStatus {
    if (state === 'cancelled') return 'cancelled';
    if (state === 'active') return 'running';
    if (state === 'completed') return 'succeeded';
    if (state === 'failed')
      return snapshot.failedReason === CANCELLED_REASON || cancelAsked ? 'cancelled' : 'failed';
    // Waiting out the backoff after a failed attempt.
    if (state === 'delayed' && snapshot.attemptsMade > 0) return 'retrying';
    return 'queued';
  }

  private async view(found: Found): Promise<JobView> {
    const { snapshot: job } = found;
    const id = job.id!;
    const cancelAsked =
      (found.state === 'active' || found.state === 'failed') &&
      (await this.redis.exists(redisKeys.cancel(this.prefix, id))) === 1;
    const status = this.statusOf(found, cancelAsked);
    const reported = (typeof job.progress === 'object' ? job.progress : null) as TrainingProgress | null;
    const result = status === 'succeeded' ? (job.returnvalue as TrainingResultValue | null) : null;
    const progress = reported?.progress ?? null;
    return {
      id,
      name: job.data.spec.name,
      status,
      queuePosition: status === 'queued' ? await this.queuePosition(job.data.tenant, id) : null,
      progress,
      etaSeconds: status === 'running' ? (progress?.etaSeconds ?? null) : null,
      cancelRequested: status === 'running' && cancelAsked,
      metrics: result?.metrics ?? reported?.metrics ?? {},
      history: result?.history ?? reported?.history ?? [],
      modelId: result?.modelId ?? null,
      error: status === 'failed' ? failureOf(job.failedReason, reported) : null,
      backend: result?.backend ?? reported?.backend ?? null,
      attempts: Math.max(job.attemptsStarted ?? 0, job.attemptsMade),
      spec: job.data.spec,
      createdAt: job.data.createdAt,
      startedAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
      finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    };
  }
}

/**
 * Why a failed job failed: the code its worker recorded, else `worker_lost` when stall detection failed it (its
 * workers kept dying), else `training_failed`. The job view, its terminal event and the worker all use this.
 */
export function failureOf(
  failedReason: string | undefined,
  reported: TrainingProgress | null,
): { code: string; message: string } {
  if (reported?.error) return reported.error;
  const message = failedReason ?? 'unknown failure';
  return { code: /stalled/i.test(message) ? 'worker_lost' : 'training_failed', message };
}

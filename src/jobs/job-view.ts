import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { notFound } from '../errors.js';
import {
  CANCELLED_REASON,
  redisKeysFor,
  type RedisKeys,
  type TrainingPayload,
  type TrainingProgress,
  type TrainingResultValue,
} from '../queue/catalogue.js';
import { EpochRowSchema, ProgressPointSchema } from '../training/progress.js';
import type { JobSnapshot } from './cancelled-jobs.js';
import { JOB_STATUSES, type JobStatus } from './job-events.js';
import { failureOf } from './job-outputs.js';
import type { JobSpec } from './job-spec.js';
import { queuePosition } from './queue-position.js';

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const Metric = Nullable(Type.Number());
export const JobStatusSchema = Type.Enum([...JOB_STATUSES]);

/** A job as GET /v1/jobs/:id shows it. */
export const JobViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: JobStatusSchema,
    queuePosition: Nullable(
      Type.Integer({
        description: "While queued: 1 runs next of the tenant's own jobs (others' are not counted)",
      }),
    ),
    progress: Nullable(ProgressPointSchema),
    etaSeconds: Nullable(Type.Number({ description: 'While running: seconds left at the current pace' })),
    cancelRequested: Type.Boolean({
      description: 'A cancel was asked for; the worker running the job stops within a batch',
    }),
    pauseRequested: Type.Boolean({
      description:
        'A pause was asked for; the worker running the job checkpoints at the next batch and frees its slot',
    }),
    metrics: Type.Object({
      loss: Type.Optional(Metric),
      accuracy: Type.Optional(Metric),
      val_loss: Type.Optional(Metric),
      val_accuracy: Type.Optional(Metric),
      // Regression jobs: errors in the target's units, and R².
      mae: Type.Optional(Metric),
      rmse: Type.Optional(Metric),
      r2: Type.Optional(Metric),
      val_mae: Type.Optional(Metric),
      val_rmse: Type.Optional(Metric),
      val_r2: Type.Optional(Metric),
    }),
    history: Type.Array(EpochRowSchema),
    modelId: Nullable(Type.String()),
    error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    backend: Nullable(Type.Object({ name: Type.String(), device: Type.String() })),
    attempts: Type.Integer(),
    spec: Type.Object(
      {},
      { additionalProperties: true, description: 'The request with every default filled in' },
    ),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Nullable(Type.String({ format: 'date-time' })),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'Job' },
);

/** A job as GET /v1/jobs/:id shows it; its spec typed as the resolved request it is. */
export type JobView = Omit<Static<typeof JobViewSchema>, 'spec'> & { spec: JobSpec };

export interface Found {
  snapshot: JobSnapshot;
  /** BullMQ's state, or 'cancelled' for a job removed from the queue by a cancel. */
  state: string;
}

const MAX_LIST_SCAN = 5000;

export interface JobMarks {
  lastStatus: string | null;
  cancelAsked: boolean;
  pauseAsked: boolean;
}

/** What a submission knows of the job it has just queued: its marks (nothing asked of it yet) and its place. */
export interface JustQueued {
  marks: JobMarks;
  /** Read from the queue when undefined. */
  queuePosition: number | undefined;
}

/** The marks of a job its submission has just queued. */
export const JUST_QUEUED: JobMarks = { lastStatus: 'queued', cancelAsked: false, pauseAsked: false };

/** Reads jobs as the API shows them: from the queue, or from the records cancelled jobs leave. */
export class JobReader {
  private readonly keys: RedisKeys;

  constructor(
    private readonly queue: Queue<TrainingPayload, TrainingResultValue>,
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  private indexKey(tenant: string): string {
    return this.keys.tenantJobs(tenant);
  }

  /** A job in the queue, or one cancelled before it ran. */
  async find(id: string): Promise<Found | undefined> {
    // The state first: a job read after it is at least as far along, so a finished state always comes with its
    // result (read the other way round, a job finishing in between shows as succeeded without its model).
    const state = await this.queue.getJobState(id);
    const job = await this.queue.getJob(id);
    if (job) return { snapshot: job, state: state === 'unknown' ? await job.getState() : state };
    const record = await this.redis.hget(this.keys.cancelled(), id);
    if (record) return { snapshot: { ...(JSON.parse(record) as JobSnapshot), id }, state: 'cancelled' };
    return undefined;
  }

  /**
   * The job as GET /v1/jobs/:id shows it. With `place: false`, a queued job's `queuePosition` is left null rather
   * than counted (a script over the queue), for reading many jobs at once, as a sweep's trials are.
   */
  async get(tenant: string, id: string, { place = true }: { place?: boolean } = {}): Promise<JobView> {
    const found = await this.find(id);
    if (!found || found.snapshot.data.tenant !== tenant) throw notFound('job', id);
    return this.view(found, undefined, place);
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
    const keys = { wait: this.queue.keys.wait!, tenantActiveJobs: this.keys.activeJobs(tenant) };
    return queuePosition(this.redis, keys, id);
  }

  /**
   * A failed job with a cancel recorded is cancelled: the cancel was answered 202 before it failed. An unfinished
   * job is paused once its pause is written and no worker has it active (a held queued job may still sit in the
   * queue's wait list).
   */
  private statusOf({ snapshot, state }: Found, marks: JobMarks): JobStatus {
    if (state === 'cancelled') return 'cancelled';
    if (state === 'completed') return 'succeeded';
    if (state === 'failed')
      return snapshot.failedReason === CANCELLED_REASON || marks.cancelAsked ? 'cancelled' : 'failed';
    // Written paused by its worker, but still active there until it is moved aside: running, a pause under way.
    if (marks.lastStatus === 'paused' && state !== 'active') return 'paused';
    if (state === 'active') return 'running';
    // Waiting out the backoff after a failed attempt.
    if (state === 'delayed' && snapshot.attemptsMade > 0) return 'retrying';
    return 'queued';
  }

  /** What the job's markers say: its last status written, and whether a cancel or a pause was asked for. */
  private async marksOf(id: string): Promise<JobMarks> {
    const [lastStatus, cancel, pause] = await this.redis.mget(
      this.keys.status(id),
      this.keys.cancel(id),
      this.keys.pause(id),
    );
    return { lastStatus: lastStatus ?? null, cancelAsked: cancel != null, pauseAsked: pause != null };
  }

  /** The job as shown; `known`, from a submission, of the job it has just queued, is not read again. */
  async view(found: Found, known?: JustQueued, place = true): Promise<JobView> {
    const { snapshot: job } = found;
    const id = job.id!;
    const marks = known?.marks ?? (await this.marksOf(id));
    const status = this.statusOf(found, marks);
    const reported = (typeof job.progress === 'object' ? job.progress : null) as TrainingProgress | null;
    const result = status === 'succeeded' ? (job.returnvalue as TrainingResultValue | null) : null;
    const progress = reported?.progress ?? null;
    return {
      id,
      name: job.data.spec.name,
      status,
      queuePosition:
        status !== 'queued' || !place
          ? null
          : (known?.queuePosition ?? (await this.queuePosition(job.data.tenant, id))),
      progress,
      etaSeconds: status === 'running' ? (progress?.etaSeconds ?? null) : null,
      cancelRequested: status === 'running' && marks.cancelAsked,
      pauseRequested: status === 'running' && marks.pauseAsked && !marks.cancelAsked,
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

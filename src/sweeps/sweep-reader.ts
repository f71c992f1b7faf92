import type { Redis } from 'ioredis';
import { notFound, ProblemError } from '../errors.js';
import type { JobView } from '../jobs/job-view.js';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { MedianRule } from './median-rule.js';
import { SweepLog, type SweepStatus } from './sweep-log.js';
import { sweepView, trialView, type SweepQueue, type SweepView } from './sweep-view.js';

export interface SweepReaderOptions {
  queue: SweepQueue;
  redis: Redis;
  prefix: string;
  /** A trial's job as GET /v1/jobs/:id shows it, without its queue position (a 404 ProblemError when gone). */
  readJob: (tenant: string, jobId: string) => Promise<JobView>;
}

/** A trial's job or a sweep that is not there (gone past retention, or not yet added): undefined, not an error. */
export function missing(error: unknown): undefined {
  if (error instanceof ProblemError && error.status === 404) return undefined;
  throw error;
}

/** Reads sweeps as the API shows them, in the API and in the worker that ends them. */
export class SweepReader {
  private readonly keys: RedisKeys;
  private readonly log: SweepLog;
  private readonly rule: MedianRule;

  constructor(private readonly options: SweepReaderOptions) {
    this.keys = redisKeysFor(options.prefix);
    this.log = new SweepLog(options.redis, options.prefix);
    this.rule = new MedianRule(options.redis, options.prefix);
  }

  /** The sweep with its trials; a 404 for another tenant's. */
  async get(tenant: string, id: string): Promise<SweepView> {
    // The status before the job: a sweep's outcome is written into its job before its log ends, so a job read
    // after the end was read holds the outcome (read the other way round, an end could show without it).
    const status = await this.log.lastStatus(id);
    const job = await this.options.queue.getJob(id);
    if (!job || job.data.tenant !== tenant) throw notFound('sweep', id);
    const { spec, trials } = job.data;
    const [stopped, cancel, views] = await Promise.all([
      this.rule.stopped(id),
      this.options.redis.exists(this.keys.sweepCancel(id)),
      Promise.all(trials.map((trial) => this.options.readJob(tenant, trial.jobId).catch(missing))),
    ]);
    const trialViews = trials.map((trial, i) => trialView(spec, trial, views[i], stopped.get(trial.jobId)));
    return sweepView(job, (status as SweepStatus | null) ?? 'queued', trialViews, cancel === 1);
  }

  /** Newest first; `cursor` is the last id of the previous page. */
  async list(tenant: string, options: { limit: number; cursor?: string }) {
    const ids = await this.options.redis.zrevrangebylex(
      this.keys.tenantSweeps(tenant),
      options.cursor ? `(${options.cursor}` : '+',
      '-',
      'LIMIT',
      0,
      options.limit + 1,
    );
    const page = ids.slice(0, options.limit);
    const items = (await Promise.all(page.map((id) => this.get(tenant, id).catch(missing)))).filter(
      (view): view is SweepView => view !== undefined,
    );
    return { items, nextCursor: ids.length > options.limit ? page.at(-1)! : null };
  }
}

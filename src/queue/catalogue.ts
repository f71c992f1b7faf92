import type { DefaultJobOptions } from 'bullmq';
import type { JobSpec } from '../jobs/job-spec.js';
import type { SweepSpec, TrialOfSweep } from '../sweeps/sweep-spec.js';
import type { PlannedTrial } from '../sweeps/sweep-trials.js';
import type { BackendInfo } from '../tf/backend.js';
import type { EpochRow, Progress } from '../training/progress.js';

/** The one catalogue of queues: names, payloads, default options. The API and workers/ both import it. */
export const QUEUES = {
  training: 'training',
  /** One job per delivery of a webhook event to one endpoint; see src/webhooks/. */
  webhooks: 'webhook-deliveries',
  /** One parent job per sweep, its trials its children in the training queue; see src/sweeps/. */
  sweeps: 'sweeps',
} as const;

/** Redis keys and channels beside the queues, under the same prefix. */
/** How long the deleting marker of a dataset or model outlives the deletion. */
export const DELETING_TTL_SECONDS = 24 * 3600;

/** Each key and channel as a function of the deployment's prefix and what names it; see {@link redisKeysFor}. */
const KEY_FORMS = {
  /** BullMQ's lock of a running job: it holds the token of the worker running it. */
  jobLock: (prefix: string, jobId: string) => `${prefix}:${QUEUES.training}:${jobId}:lock`,
  /** The job's event log, a Redis Stream. */
  events: (prefix: string, jobId: string) => `${prefix}:jobs:${jobId}:events`,
  /** Set once the job's terminal event is in its log, so there is only ever one. */
  ended: (prefix: string, jobId: string) => `${prefix}:jobs:${jobId}:ended`,
  /** The job's last status event. */
  status: (prefix: string, jobId: string) => `${prefix}:jobs:${jobId}:status`,
  /** Set when a cancel was asked for. */
  cancel: (prefix: string, jobId: string) => `${prefix}:jobs:${jobId}:cancel`,
  /** Set while a pause is asked for or holds the job; a resume removes it. */
  pause: (prefix: string, jobId: string) => `${prefix}:jobs:${jobId}:pause`,
  /** Pause requests are published here (the job id), for the worker running the job. */
  pauseChannel: (prefix: string) => `${prefix}:jobs:pause`,
  /** Jobs cancelled before they ran: their last state, by id (they are removed from the queue). */
  cancelled: (prefix: string) => `${prefix}:jobs:cancelled`,
  /** Every job whose log has ended: a sorted set of job ids by the Redis time it ended (ms), for retention. */
  endedJobs: (prefix: string) => `${prefix}:jobs:ended`,
  /**
   * Transitions whose listeners (webhooks, quota slots) have not all run yet, by the Redis time they were written:
   * `tenant \n job \n event id \n from`. Told again by the API after a while (JobLifecycle.retell).
   */
  untoldTransitions: (prefix: string) => `${prefix}:jobs:untold`,
  /** Held by the one process sweeping finished jobs past their retention (its token; it expires). */
  retentionSweep: (prefix: string) => `${prefix}:jobs:retention-sweep`,
  /** Held by the one process removing ended sweeps past their retention. */
  sweepRetentionSweep: (prefix: string) => `${prefix}:sweeps:retention-sweep`,
  /** Cancel requests are published here (the job id), for the worker running the job. */
  cancelChannel: (prefix: string) => `${prefix}:jobs:cancel`,
  /** Live workers: a sorted set by last heartbeat, and one expiring key per worker. */
  workers: (prefix: string) => `${prefix}:workers`,
  worker: (prefix: string, workerId: string) => `${prefix}:workers:${workerId}`,
  idempotency: (prefix: string, tenant: string, keyHash: string) =>
    `${prefix}:tenants:${tenant}:idempotency:${keyHash}`,
  /** Set while a dataset or model is being deleted (and for a day after), so nothing new refers to it. */
  deleting: (prefix: string, tenant: string, kind: 'dataset' | 'model', id: string) =>
    `${prefix}:tenants:${tenant}:${kind}s:${id}:deleting`,
  /** A tenant's aliases: a hash from alias name to the alias as JSON. */
  aliases: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:aliases`,
  /** A tenant's webhook endpoints: a hash from endpoint id to the endpoint as JSON, without its secret. */
  webhooks: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:webhooks`,
  /** Their signing secrets, apart: a hash from endpoint id to secret, read only to sign a delivery. */
  webhookSecrets: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:webhook-secrets`,
  /** An endpoint's latest delivery attempts, newest first: a capped list of attempts as JSON. */
  webhookAttempts: (prefix: string, tenant: string, webhookId: string) =>
    `${prefix}:tenants:${tenant}:webhook-attempts:${webhookId}`,
  /** Jobs counted against a tenant's quota of queued and running jobs, by admission time (pruned lazily). */
  activeJobs: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:active-jobs`,
  /** A tenant's jobs while their status is `queued`, by the Redis time they were queued (ms). */
  queuedJobs: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:queued-jobs`,
  /** The tenant's stored datasets and models that count against its quota: id → bytes. */
  storedResources: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:stored`,
  /** Bytes of a tenant's stored datasets and models: the sum of `storedResources`. */
  storedBytes: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:stored-bytes`,
  /** Deleted models are published here, so every API instance unloads them. */
  modelDeleted: (prefix: string) => `${prefix}:models:deleted`,
  /** A tenant's jobs, every one it submitted: a sorted set by id (all scores 0), newest last. */
  tenantJobs: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:jobs`,
  /** The jobs that use a dataset or model (pruned of finished ones when it is deleted): a set of job ids. */
  resourceJobs: (prefix: string, tenant: string, kind: 'dataset' | 'model', id: string) =>
    `${prefix}:tenants:${tenant}:${kind}s:${id}:jobs`,
  /** A tenant's sweeps: a sorted set by id (all scores 0), newest last. */
  tenantSweeps: (prefix: string, tenant: string) => `${prefix}:tenants:${tenant}:sweeps`,
  /** The sweep's trials admitted to run (its `parallel` at most), by admission time; see sweep-gate.ts. */
  sweepAdmitted: (prefix: string, sweepId: string) => `${prefix}:sweeps:${sweepId}:admitted`,
  /** Its trials held back, waiting for a place, by trial index. */
  sweepHeld: (prefix: string, sweepId: string) => `${prefix}:sweeps:${sweepId}:held`,
  /** Each trial's best metric up to an epoch, by trial job id, for the early-stopping rule. */
  sweepEpoch: (prefix: string, sweepId: string, epoch: string) =>
    `${prefix}:sweeps:${sweepId}:epochs:${epoch}`,
  /** The trials the rule stopped: trial job id to why, as JSON. */
  sweepStopped: (prefix: string, sweepId: string) => `${prefix}:sweeps:${sweepId}:stopped`,
  /** Set when the sweep was cancelled. */
  sweepCancel: (prefix: string, sweepId: string) => `${prefix}:sweeps:${sweepId}:cancel`,
  /** Where the rate limit keeps its counters: this prefix and the API key's id or the client's address. */
  rateLimit: (prefix: string) => `${prefix}:ratelimit:`,
};

type Bound<F> = F extends (prefix: string, ...rest: infer A) => string ? (...rest: A) => string : never;

/** Every Redis key and channel of one deployment, its prefix bound. */
export type RedisKeys = { readonly [K in keyof typeof KEY_FORMS]: Bound<(typeof KEY_FORMS)[K]> };

/** The keys under `prefix` (QUEUE_PREFIX): bound once, where a service is built. */
export function redisKeysFor(prefix: string): RedisKeys {
  const bound = Object.entries(KEY_FORMS).map(([name, form]) => [
    name,
    (...rest: string[]) => (form as (prefix: string, ...rest: string[]) => string)(prefix, ...rest),
  ]);
  return Object.fromEntries(bound) as RedisKeys;
}

/**
 * A job's own keys beside BullMQ's job hash, but for its `ended` marker: what retention deletes once the job is
 * past it (the marker last). A new per-job key form belongs here too.
 */
export const jobKeysOf = (keys: RedisKeys, jobId: string): string[] => [
  keys.events(jobId),
  keys.status(jobId),
  keys.cancel(jobId),
  keys.pause(jobId),
  keys.jobLock(jobId),
];

/** Payload of a training job; the BullMQ job id is the public job id. */
export interface TrainingPayload {
  tenant: string;
  spec: JobSpec;
  createdAt: string;
  /** Set on a sweep's trial. */
  sweep?: TrialOfSweep;
}

/** Payload of a sweep's parent job; the BullMQ job id is the sweep id. */
export interface SweepPayload {
  tenant: string;
  spec: SweepSpec;
  trials: PlannedTrial[];
  createdAt: string;
  /** How it ended, written just before its log says so (the job's return value comes a moment later). */
  result?: SweepResultValue;
}

/** How a sweep ended: the parent job's return value. */
export interface SweepResultValue {
  status: 'succeeded' | 'failed' | 'cancelled';
  /** The index of the best trial, or null when none succeeded with the metric. */
  best: number | null;
  /** Whether the sweep's alias was moved to the best trial's model. */
  aliasMoved: boolean;
  finishedAt: string;
}

/** Default options of a sweep's parent job: its end is written once every trial has ended, and retried. */
export const SWEEP_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: false,
  removeOnFail: false,
};

/** What a training job reports through `job.updateProgress`: everything GET /v1/jobs/:id shows while it runs. */
export interface TrainingProgress {
  progress: Omit<Progress, 'metrics' | 'history'> | null;
  metrics: Progress['metrics'];
  history: EpochRow[];
  backend: Pick<BackendInfo, 'name' | 'device'> | null;
  startedAt: string | null;
  /** Set when the job fails with a known cause, so the API can show a stable code. */
  error?: { code: string; message: string };
}

/** The return value of a training job. */
export interface TrainingResultValue {
  modelId: string;
  metrics: Record<string, number | null>;
  history: EpochRow[];
  backend: Pick<BackendInfo, 'name' | 'device'>;
  startedAt: string;
  featureCaching: boolean;
  /** Bytes of the stored model, counted against the tenant's storage quota. */
  modelBytes: number;
}

/** The `failedReason` of a job that ended because it was cancelled while running. */
export const CANCELLED_REASON = 'cancelled';

/** Default options of training jobs: transient faults retry with exponential backoff; finished jobs are kept. */
export function trainingJobOptions(attempts: number, backoffMs = 5_000): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: false,
    removeOnFail: false,
  };
}

/** Payload of a webhook delivery: one event to one endpoint; the BullMQ job id is the delivery id. */
export interface WebhookDeliveryPayload {
  tenant: string;
  webhookId: string;
  /** The event's id, sent as `webhook-id` on every attempt. */
  eventId: string;
  eventType: string;
  /** When the event happened: the body's `timestamp`. */
  timestamp: string;
  /** The request body, `{type, timestamp, data}`, serialized once so every attempt signs the same bytes. */
  body: string;
}

/** Finished deliveries are kept this long (and at most this many), to be sent again and to absorb duplicates. */
const DELIVERY_KEEP = { age: 7 * 24 * 3600, count: 10_000 };

/**
 * Attempts of a webhook delivery: the first, then retries whose delays double from `backoffMs` for as long as
 * they fit in `retrySpanMs` (the last retry at most that long after the first attempt).
 */
export function webhookAttempts(retrySpanMs: number, backoffMs: number): number {
  return 1 + Math.min(30, Math.floor(Math.log2(retrySpanMs / backoffMs + 1)));
}

/** Default options of webhook deliveries: exponential backoff over the retry span; finished ones kept a while. */
export function webhookJobOptions(retrySpanMs: number, backoffMs: number): DefaultJobOptions {
  return {
    attempts: webhookAttempts(retrySpanMs, backoffMs),
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: DELIVERY_KEEP,
    removeOnFail: DELIVERY_KEEP,
  };
}

import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { TERMINAL_STATUSES } from '../jobs/job-events.js';
import type { Transition } from '../jobs/job-lifecycle.js';
import type { JobView } from '../jobs/job-view.js';

/**
 * The events an endpoint can subscribe to, with what each means. A job's status `<s>` is announced as `job.<s>`
 * when that is registered here: a new status becomes an event by one line.
 */
export const WEBHOOK_EVENTS = {
  'job.running': 'A worker took the job up: its first attempt, a retry, or after a resume',
  'job.paused': 'The job is paused (at a checkpoint, or before it ran); its worker slot is free',
  'job.succeeded': 'The job ended with a model (`data.modelId`)',
  'job.failed': 'The job ended failed (`data.error`)',
  'job.cancelled': 'The job ended cancelled',
  'model.created': 'A model was stored: trained by a job that succeeded, or uploaded',
  'sweep.succeeded': 'A sweep ended with its best trial picked (`data.best`)',
  'sweep.failed': 'A sweep ended with no trial that succeeded',
  'sweep.cancelled': 'A sweep ended cancelled',
} as const;

export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;
export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];

/** The event a job taking `status` is announced as, if any. */
export function jobEventType(status: string): WebhookEventType | undefined {
  const type = `job.${status}`;
  return Object.hasOwn(WEBHOOK_EVENTS, type) ? (type as WebhookEventType) : undefined;
}

/** What a delivery's body is: the event's type, when it happened, and the resource as the REST API shows it. */
export const WebhookPayloadSchema = Type.Object({
  type: Type.Enum(WEBHOOK_EVENT_TYPES),
  timestamp: Type.String({ format: 'date-time' }),
  data: Type.Unknown({
    description:
      'job.*: the job as GET /v1/jobs/:id shows it; model.created: the model as GET /v1/models/:id; sweep.*: the sweep as GET /v1/sweeps/:id',
  }),
});
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;

/** An event to deliver: its id (`webhook-id`, the same on every attempt and every endpoint) and its payload. */
export interface WebhookEvent extends WebhookPayload {
  id: string;
}

/**
 * An event's id, made from what identifies the event (a job's status event, a model), so that whoever announces
 * the same event twice names it the same: `msg_` and 27 characters of base64url.
 */
export function webhookEventId(...identity: string[]): string {
  return `msg_${createHash('sha256').update(identity.join('\n')).digest('base64url').slice(0, 27)}`;
}

/** The id of the event a job's transition is announced as. */
export const jobEventId = (transition: Pick<Transition, 'jobId' | 'eventId'>) =>
  webhookEventId('job', transition.jobId, transition.eventId);

/** The id of the event a sweep's end is announced as: one per sweep. */
export const sweepEventId = (sweepId: string) => webhookEventId('sweep', sweepId);

/** The id of the event a stored model is announced as: one per model, however it was made. */
export const modelEventId = (modelId: string) => webhookEventId('model', modelId);

/** The bytes a delivery sends and signs. */
export const payloadBody = ({ type, timestamp, data }: WebhookEvent) =>
  JSON.stringify({ type, timestamp, data });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a transition says of the job's end: its model and metrics if it succeeded, its error if it failed. */
function endOf(view: JobView, { to, data }: Transition): Pick<JobView, 'modelId' | 'metrics' | 'error'> {
  const succeeded = to === 'succeeded';
  const { modelId, metrics, error } = data;
  return {
    modelId: succeeded ? (typeof modelId === 'string' ? modelId : view.modelId) : null,
    metrics: succeeded && isRecord(metrics) ? metrics : view.metrics,
    error:
      to !== 'failed'
        ? null
        : isRecord(error)
          ? { code: String(error.code), message: String(error.message) }
          : view.error,
  };
}

/**
 * The job as GET /v1/jobs/:id shows it once the transition has settled. The process that writes a status
 * announces it before the queue has caught up (a worker ends a job, then BullMQ marks it completed), so the
 * transition's own status and what it carries (the model, the metrics, the error) win over the queue's view.
 */
export function jobViewAt(view: JobView, transition: Transition): JobView {
  const status = transition.to;
  return {
    ...view,
    status,
    queuePosition: status === 'queued' ? view.queuePosition : null,
    etaSeconds: status === 'running' ? view.etaSeconds : null,
    cancelRequested: status === 'running' && view.cancelRequested,
    pauseRequested: status === 'running' && view.pauseRequested,
    ...endOf(view, transition),
    finishedAt: TERMINAL_STATUSES.has(status) ? (view.finishedAt ?? transition.at) : null,
  };
}

import type { JobStatus } from '../api-types.js';

/** Every job status, in the order a job goes through them, with how the page names it. */
export const STATUS_NAMES: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  retrying: 'Retrying',
  paused: 'Paused',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const STATUSES = Object.keys(STATUS_NAMES) as JobStatus[];

export const isFinished = (status: JobStatus) =>
  status === 'succeeded' || status === 'failed' || status === 'cancelled';

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span class={`badge status-${status}`}>{STATUS_NAMES[status]}</span>;
}

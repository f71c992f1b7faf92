import type { JobView } from '../api-types.js';
import { formatDuration, formatPercent } from '../format.js';

/** A job's progress: a bar of the share of its batches done, the epoch it is at and the time left. */
export function ProgressBar({ job }: { job: Pick<JobView, 'progress' | 'etaSeconds' | 'status'> }) {
  const done = job.status === 'succeeded';
  const fraction = done ? 1 : (job.progress?.fraction ?? 0);
  const label = job.progress
    ? `epoch ${job.progress.epoch} of ${job.progress.epochs}${job.progress.phase === 'features' ? ', computing features' : ''}`
    : done
      ? 'done'
      : 'not started';
  const eta = job.status === 'running' ? (job.progress?.etaSeconds ?? job.etaSeconds) : null;
  return (
    <div class="progress">
      <progress max={1} value={fraction} aria-label={`${formatPercent(fraction, 0)} done, ${label}`} />
      <span class="progress-text">
        {formatPercent(fraction, 0)} · {label}
        {eta !== null && eta !== undefined && <> · ETA {formatDuration(eta)}</>}
      </span>
    </div>
  );
}

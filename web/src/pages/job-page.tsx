import { useCallback, useMemo } from 'preact/hooks';
import { useApi } from '../api.js';
import type { CheckpointInfo, JobEvent, JobView } from '../api-types.js';
import { EpochTable } from '../components/epoch-table.js';
import { HistoryCharts } from '../components/history-charts.js';
import { ProblemBox } from '../components/problem-box.js';
import { ProgressBar } from '../components/progress-bar.js';
import { StatusBadge } from '../components/status-badge.js';
import { useResource } from '../components/use-resource.js';
import { formatNumber, formatPercent, formatTime } from '../format.js';
import { jobAfter } from '../job-refresh.js';
import { href, Link } from '../router.js';
import { JobControls } from './job-controls.js';
import { CheckpointTable, JobSpecView } from './job-details.js';
import { JobEventsLog } from './job-events-log.js';
import { mergeRows, useJobStream } from './use-job-stream.js';

function JobSummary({ job }: { job: JobView }) {
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <StatusBadge status={job.status} />
        {job.pauseRequested && job.status !== 'paused' && ' pausing at the next batch'}
      </dd>
      {job.error && (
        <>
          <dt>Error</dt>
          <dd class="error-text">
            <code>{job.error.code}</code> {job.error.message}
          </dd>
        </>
      )}
      {job.modelId && (
        <>
          <dt>Model</dt>
          <dd>
            <Link href={href('models', job.modelId)}>{job.modelId}</Link>
          </dd>
        </>
      )}
      <dt>Validation</dt>
      <dd>
        loss {formatNumber(job.metrics.val_loss)}, accuracy {formatPercent(job.metrics.val_accuracy)}
      </dd>
      <dt>Backend</dt>
      <dd>{job.backend ? `${job.backend.name} (${job.backend.device})` : '–'}</dd>
      <dt>Attempts</dt>
      <dd>{job.attempts}</dd>
      <dt>Created</dt>
      <dd>{formatTime(job.createdAt)}</dd>
      <dt>Started</dt>
      <dd>{formatTime(job.startedAt)}</dd>
      <dt>Finished</dt>
      <dd>{formatTime(job.finishedAt)}</dd>
    </dl>
  );
}

/** One job: its curves and epochs growing live, its events, checkpoints and settings, and its controls. */
export function JobPage({ id }: { id: string }) {
  const api = useApi();
  const job = useResource((signal) => api.get<JobView>(`/v1/jobs/${id}`, undefined, signal), [id]);
  const checkpoints = useResource(
    (signal) => api.get<{ items: CheckpointInfo[] }>(`/v1/jobs/${id}/checkpoints`, undefined, signal),
    [id],
  );
  const { update } = job;
  const { reload: reloadCheckpoints } = checkpoints;
  // A new status can change anything, the checkpoints too (they go when the job ends).
  const onStatus = useCallback(
    (event: JobEvent) => {
      jobAfter(api, id, event).then(
        (fresh) => update(() => fresh),
        () => undefined,
      );
      reloadCheckpoints();
    },
    [api, id, update, reloadCheckpoints],
  );
  const stream = useJobStream(id, onStatus, reloadCheckpoints);
  const rows = useMemo(() => mergeRows(job.data?.history ?? [], stream.rows), [job.data, stream.rows]);
  const view = job.data;
  const live =
    view && stream.progress && view.status === 'running' ? { ...view, progress: stream.progress } : view;

  return (
    <section>
      <p class="crumbs">
        <Link href={href('jobs')}>Jobs</Link> /
      </p>
      <div class="heading">
        <h1>{view?.name || id}</h1>
        {view && <JobControls job={view} onChange={(changed) => job.update(() => changed)} />}
      </div>
      <ProblemBox problem={job.problem ?? stream.problem} />
      {live && (
        <>
          <ProgressBar job={live} />
          <JobSummary job={live} />
          <h2>Curves</h2>
          <HistoryCharts rows={rows} />
          <h2>Epochs</h2>
          <EpochTable rows={rows} />
          <h2>Events</h2>
          <JobEventsLog events={stream.log} />
          <h2>Checkpoints</h2>
          <ProblemBox problem={checkpoints.problem} />
          <CheckpointTable checkpoints={checkpoints.data?.items ?? []} />
          <h2>Hyperparameters and base</h2>
          <JobSpecView spec={live.spec} />
        </>
      )}
    </section>
  );
}

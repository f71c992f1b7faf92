import { useCallback } from 'preact/hooks';
import { useApi, withQuery } from '../api.js';
import type { JobStatus, JobView, Page } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { ProgressBar } from '../components/progress-bar.js';
import { STATUS_NAMES, STATUSES, StatusBadge } from '../components/status-badge.js';
import { useResource } from '../components/use-resource.js';
import { formatTime } from '../format.js';
import { href, Link, navigate } from '../router.js';
import { useLiveJobs } from './use-live-jobs.js';

interface JobList extends Page<JobView> {
  /** When the API answered, by its own clock: where the live streams start. */
  at: number;
}

function StatusFilter({ status }: { status: JobStatus | undefined }) {
  return (
    <label class="filter">
      Status{' '}
      <select
        value={status ?? ''}
        onChange={(event) => {
          const value = event.currentTarget.value;
          navigate(href('jobs', undefined, value ? { status: value } : undefined), { replace: true });
        }}
      >
        <option value="">all</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_NAMES[s].toLowerCase()}
          </option>
        ))}
      </select>
    </label>
  );
}

function JobRow({ job }: { job: JobView }) {
  return (
    <tr data-job={job.id}>
      <td>
        <Link href={href('jobs', job.id)}>{job.name || job.id}</Link>
        <div class="muted mono">{job.id}</div>
      </td>
      <td>
        <StatusBadge status={job.status} />
        {job.queuePosition !== null && <div class="muted">#{job.queuePosition} in queue</div>}
      </td>
      <td class="wide">
        <ProgressBar job={job} />
      </td>
      <td>{formatTime(job.createdAt)}</td>
    </tr>
  );
}

/** The tenant's jobs, newest first, filtered by status, their progress live. */
export function JobsPage({ status }: { status: JobStatus | undefined }) {
  const api = useApi();
  const jobs = useResource<JobList>(
    async (signal) => {
      const response = await api.request(withQuery('/v1/jobs', { status, limit: 50 }), { signal });
      const page = (await response.json()) as Page<JobView>;
      return { ...page, at: Date.parse(response.headers.get('date') ?? '') || Date.now() };
    },
    [status],
  );
  const { update } = jobs;
  const replace = useCallback(
    (id: string, change: (job: JobView) => JobView) =>
      update((list) => ({ ...list, items: list.items.map((job) => (job.id === id ? change(job) : job)) })),
    [update],
  );
  useLiveJobs(jobs.data?.items ?? [], jobs.data?.at ?? 0, replace);

  const more = async () => {
    const cursor = jobs.data?.nextCursor;
    if (!cursor) return;
    const page = await api.get<Page<JobView>>('/v1/jobs', { status, limit: 50, cursor });
    update((list) => ({ ...list, items: [...list.items, ...page.items], nextCursor: page.nextCursor }));
  };

  return (
    <section>
      <div class="heading">
        <h1>Jobs</h1>
        <StatusFilter status={status} />
      </div>
      <ProblemBox problem={jobs.problem} />
      {jobs.data && jobs.data.items.length === 0 && (
        <p>
          No {status ? STATUS_NAMES[status].toLowerCase() : ''} jobs yet. Train one from a{' '}
          <Link href={href('datasets')}>dataset</Link>.
        </p>
      )}
      {jobs.data && jobs.data.items.length > 0 && (
        <div class="table-scroll">
          <table class="jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.items.map((job) => (
                <JobRow key={job.id} job={job} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {jobs.data?.nextCursor && (
        <button type="button" class="secondary" onClick={() => void more()}>
          More jobs
        </button>
      )}
    </section>
  );
}

import { useEffect } from 'preact/hooks';
import { useApi } from '../api.js';
import type { WorkerInfo } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { useResource } from '../components/use-resource.js';
import { formatNumber, formatTime } from '../format.js';
import { href, Link } from '../router.js';

/** Heartbeats come every few seconds: the list is read again as often. */
const REFRESH_MS = 5_000;

function WorkerRow({ worker }: { worker: WorkerInfo }) {
  return (
    <tr>
      <td>
        {worker.host}
        <div class="muted mono">
          {worker.id} · pid {worker.pid}
        </div>
      </td>
      <td>
        {worker.backend} · {worker.device}
      </td>
      <td>
        {worker.jobs.length} of {worker.concurrency}
        <ul class="plain">
          {worker.jobs.map((job) => (
            <li key={job.id}>
              <Link href={href('jobs', job.id)}>{job.id}</Link>{' '}
              {job.samplesPerSecond !== null && <>{formatNumber(job.samplesPerSecond, 3)} samples/s</>}
            </li>
          ))}
        </ul>
      </td>
      <td>
        {worker.samplesPerSecond === null ? '–' : `${formatNumber(worker.samplesPerSecond, 3)} samples/s`}
      </td>
      <td>{worker.draining ? <span class="badge status-paused">draining</span> : 'taking jobs'}</td>
      <td>
        {formatTime(worker.startedAt)}
        <div class="muted">beat {formatTime(worker.lastHeartbeat)}</div>
      </td>
    </tr>
  );
}

/** The live training workers: where they run, on what, which of the tenant's jobs, how fast. */
export function WorkersPage() {
  const api = useApi();
  const workers = useResource(
    (signal) => api.get<{ items: WorkerInfo[] }>('/v1/workers', undefined, signal),
    [],
  );
  const { reload } = workers;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <section>
      <h1>Workers</h1>
      <ProblemBox problem={workers.problem} />
      {workers.data?.items.length === 0 && (
        <p>
          No worker is running: start one with <code>npm run start:worker</code>.
        </p>
      )}
      {workers.data && workers.data.items.length > 0 && (
        <div class="table-scroll">
          <table class="workers">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Backend</th>
                <th scope="col">Jobs</th>
                <th scope="col">Pace</th>
                <th scope="col">State</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {workers.data.items.map((worker) => (
                <WorkerRow key={worker.id} worker={worker} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

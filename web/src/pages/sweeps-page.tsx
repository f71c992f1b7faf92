import { useApi } from '../api.js';
import type { Page, SweepView } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { StatusBadge } from '../components/status-badge.js';
import { useResource } from '../components/use-resource.js';
import { formatTime } from '../format.js';
import { href, Link } from '../router.js';
import { formatMetric, metricName, trialsDone } from './sweep-trials.js';

const PAGE_SIZE = 50;

function SweepRow({ sweep }: { sweep: SweepView }) {
  return (
    <tr data-sweep={sweep.id}>
      <td>
        <Link href={href('sweeps', sweep.id)}>{sweep.name || sweep.id}</Link>
        <div class="muted mono">{sweep.id}</div>
      </td>
      <td>
        <StatusBadge status={sweep.status} />
      </td>
      <td>
        {metricName(sweep.metric)}
        <div class="muted">{sweep.goal === 'max' ? 'higher' : 'lower'} is better</div>
      </td>
      <td class="number">{sweep.best ? formatMetric(sweep.metric, sweep.best.value) : '–'}</td>
      <td class="number">
        {trialsDone(sweep)} / {sweep.trials.length}
      </td>
      <td class="number">{sweep.counts.stoppedEarly ?? 0}</td>
      <td>{formatTime(sweep.createdAt)}</td>
    </tr>
  );
}

/** The tenant's sweeps, newest first, with their status and best value so far. */
export function SweepsPage() {
  const api = useApi();
  const sweeps = useResource(
    (signal) => api.get<Page<SweepView>>('/v1/sweeps', { limit: PAGE_SIZE }, signal),
    [],
  );
  const more = async () => {
    const cursor = sweeps.data?.nextCursor;
    if (!cursor) return;
    const page = await api.get<Page<SweepView>>('/v1/sweeps', { limit: PAGE_SIZE, cursor });
    sweeps.update((list) => ({ items: [...list.items, ...page.items], nextCursor: page.nextCursor }));
  };
  const items = sweeps.data?.items;

  return (
    <section>
      <h1>Sweeps</h1>
      <ProblemBox problem={sweeps.problem} />
      {items && items.length === 0 && (
        <p>
          No sweeps yet. Start one with <code>POST /v1/sweeps</code>: a job and the settings to vary.
        </p>
      )}
      {items && items.length > 0 && (
        <div class="table-scroll">
          <table class="sweeps">
            <thead>
              <tr>
                <th scope="col">Sweep</th>
                <th scope="col">Status</th>
                <th scope="col">Metric</th>
                <th scope="col" class="number">
                  Best
                </th>
                <th scope="col" class="number">
                  Trials done
                </th>
                <th scope="col" class="number">
                  Stopped early
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((sweep) => (
                <SweepRow key={sweep.id} sweep={sweep} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {sweeps.data?.nextCursor && (
        <button type="button" class="secondary" onClick={() => void more()}>
          More sweeps
        </button>
      )}
    </section>
  );
}

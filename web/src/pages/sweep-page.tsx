import { useMemo, useState } from 'preact/hooks';
import { useApi } from '../api.js';
import type { SweepView } from '../api-types.js';
import { BarChart } from '../components/bar-chart.js';
import { ProblemBox } from '../components/problem-box.js';
import { isFinished, StatusBadge } from '../components/status-badge.js';
import { useResource } from '../components/use-resource.js';
import { formatTime } from '../format.js';
import { asProblem, type ApiProblem } from '../problem.js';
import { href, Link } from '../router.js';
import {
  formatMetric,
  formatSettings,
  metricGoal,
  metricName,
  metricTitle,
  TrialTable,
  trialsDone,
} from './sweep-trials.js';
import { sweepEnded, useSweepStream } from './use-sweep-stream.js';

/** How many trials have ended, how many run, and how many the median rule stopped. */
function trialCounts(sweep: SweepView): string {
  const count = (status: string) => sweep.counts[status] ?? 0;
  const parts = [`${trialsDone(sweep)} of ${sweep.trials.length} done`];
  if (count('running') > 0) parts.push(`${count('running')} running`);
  if (count('failed') > 0) parts.push(`${count('failed')} failed`);
  if (count('stoppedEarly') > 0) parts.push(`${count('stoppedEarly')} stopped early`);
  return parts.join(', ');
}

/** Where the alias stands: moved, not moved, or moving when the sweep succeeds. */
function aliasText(sweep: SweepView): string {
  if (sweep.aliasMoved) return 'moved to the best trial’s model';
  if (sweepEnded(sweep)) return 'not moved';
  return 'moves to the best trial’s model if the sweep succeeds';
}

function SweepFacts({ sweep }: { sweep: SweepView }) {
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <StatusBadge status={sweep.status} />
      </dd>
      <dt>Metric</dt>
      <dd>{metricGoal(sweep)}</dd>
      <dt>Method</dt>
      <dd>{sweep.method === 'grid' ? 'grid (every combination)' : 'random search'}</dd>
      <dt>Parallel</dt>
      <dd>{sweep.parallel === 1 ? 'one trial at a time' : `${sweep.parallel} trials at a time`}</dd>
      <dt>Trials</dt>
      <dd>{trialCounts(sweep)}</dd>
      <dt>Alias</dt>
      <dd>
        {sweep.alias ? (
          <>
            <span class="alias">{sweep.alias}</span> {aliasText(sweep)}
          </>
        ) : (
          'none'
        )}
      </dd>
      <dt>Created</dt>
      <dd>{formatTime(sweep.createdAt)}</dd>
      <dt>Finished</dt>
      <dd>{formatTime(sweep.finishedAt)}</dd>
    </dl>
  );
}

/** The best trial, with its value, its settings, its job and its model (the best so far while it runs). */
function BestTrial({ sweep }: { sweep: SweepView }) {
  const { best } = sweep;
  if (!best)
    return <p class="muted">{sweepEnded(sweep) ? 'No trial succeeded.' : 'No trial has succeeded yet.'}</p>;
  return (
    <div class="best-trial" data-trial={best.trial}>
      <p class="best-value">
        Trial {best.trial}
        {!isFinished(sweep.status) && ' (so far)'}: {metricName(sweep.metric)}{' '}
        <strong>{formatMetric(sweep.metric, best.value)}</strong>
      </p>
      <p>{formatSettings(best.settings)}</p>
      <p>
        Job <Link href={href('jobs', best.jobId)}>{best.jobId}</Link> · model{' '}
        <Link href={href('models', best.modelId)}>{best.modelId}</Link>
      </p>
    </div>
  );
}

/** Cancel while the sweep is unfinished: no trial starts after it, and the unfinished ones are cancelled. */
function SweepControls({ sweep, onChange }: { sweep: SweepView; onChange: (sweep: SweepView) => void }) {
  const api = useApi();
  const [state, setState] = useState<'idle' | 'busy' | 'requested'>(
    sweep.cancelRequested ? 'requested' : 'idle',
  );
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  if (isFinished(sweep.status)) return null;

  const cancel = async () => {
    if (!window.confirm(`Cancel ${sweep.name}? Its unfinished trials are cancelled.`)) return;
    setState('busy');
    setProblem(undefined);
    try {
      onChange(await api.send<SweepView>('POST', `/v1/sweeps/${sweep.id}/cancel`));
      setState('requested');
    } catch (error) {
      setProblem(asProblem(error));
      setState('idle');
    }
  };
  return (
    <div class="controls">
      <button
        type="button"
        class="danger"
        disabled={state !== 'idle' || sweep.cancelRequested}
        onClick={() => void cancel()}
      >
        {state === 'idle' && !sweep.cancelRequested ? 'Cancel' : 'Cancelling…'}
      </button>
      <ProblemBox problem={problem} />
    </div>
  );
}

/** One sweep: its facts, its best trial, its trials' values and table, kept current until it ends. */
export function SweepPage({ id }: { id: string }) {
  const api = useApi();
  const sweep = useResource((signal) => api.get<SweepView>(`/v1/sweeps/${id}`, undefined, signal), [id]);
  const { update } = sweep;
  const view = sweep.data;
  const streamProblem = useSweepStream(id, view !== undefined && !sweepEnded(view), (fresh) =>
    update(() => fresh),
  );
  const trials = view?.trials;
  const chart = useMemo(
    () => ({
      labels: (trials ?? []).map((trial) => `trial ${trial.trial}`),
      values: (trials ?? []).map((trial) => trial.value),
    }),
    [trials],
  );

  return (
    <section>
      <p class="crumbs">
        <Link href={href('sweeps')}>Sweeps</Link> /
      </p>
      <div class="heading">
        <h1>{view?.name ?? id}</h1>
        {view && <SweepControls sweep={view} onChange={(changed) => update(() => changed)} />}
      </div>
      <ProblemBox problem={sweep.problem ?? streamProblem} />
      {view && (
        <>
          <SweepFacts sweep={view} />
          <h2>Best trial</h2>
          <BestTrial sweep={view} />
          <h2>Trials</h2>
          <BarChart
            title={`${metricTitle(view.metric)} by trial`}
            labels={chart.labels}
            values={chart.values}
            names={{ item: 'trial', items: 'trials', value: metricName(view.metric) }}
          />
          <TrialTable sweep={view} />
        </>
      )}
    </section>
  );
}

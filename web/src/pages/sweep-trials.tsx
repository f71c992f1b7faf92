import type { SweepView, TrialView } from '../api-types.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatNumber, formatPercent } from '../format.js';
import { href, Link } from '../router.js';

/** How the page names a sweep's metric (all are measured on the validation rows). */
const METRIC_NAMES: Record<string, string> = {
  val_accuracy: 'validation accuracy',
  val_loss: 'validation loss',
  val_r2: 'validation R²',
  val_mae: 'validation mean absolute error',
  val_rmse: 'validation root mean squared error',
};

export const metricName = (metric: string) => METRIC_NAMES[metric] ?? metric;

/** The metric's name to head a column or a chart: `Validation accuracy`. */
export const metricTitle = (metric: string) => metricName(metric).replace(/^./, (c) => c.toUpperCase());

/** The metric with the way it is better: `validation accuracy, higher is better`. */
export const metricGoal = (sweep: Pick<SweepView, 'metric' | 'goal'>) =>
  `${metricName(sweep.metric)}, ${sweep.goal === 'max' ? 'higher' : 'lower'} is better`;

/** A value of the sweep's metric: an accuracy as a percentage, any other as a number. */
export const formatMetric = (metric: string, value: number | null | undefined) =>
  metric === 'val_accuracy' ? formatPercent(value) : formatNumber(value);

/** How many of the sweep's trials have ended, whichever way. */
export function trialsDone(sweep: Pick<SweepView, 'counts'>): number {
  return ['succeeded', 'failed', 'cancelled'].reduce((sum, status) => sum + (sweep.counts[status] ?? 0), 0);
}

const settingName = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

const settingValue = (value: unknown): string => {
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return `[${value.map(settingValue).join(', ')}]`;
  return typeof value === 'string' ? value : JSON.stringify(value);
};

/** A trial's settings as text: `learning rate 0.01, batch size 32, hidden units [16, 8]`. */
export const formatSettings = (settings: Record<string, unknown>) =>
  Object.entries(settings)
    .map(([name, value]) => `${settingName(name)} ${settingValue(value)}`)
    .join(', ') || 'none';

/** Why the median rule stopped a trial, in a line. */
export function stoppedText(metric: string, stop: NonNullable<TrialView['stoppedEarly']>): string {
  const show = (value: number) => formatMetric(metric, value);
  return `stopped early at epoch ${stop.epoch} (${show(stop.value)} behind median ${show(stop.median)})`;
}

function TrialRow({ sweep, trial }: { sweep: SweepView; trial: TrialView }) {
  const best = sweep.best?.trial === trial.trial;
  const stop = trial.stoppedEarly;
  return (
    <tr data-trial={trial.trial} class={best ? 'best' : undefined}>
      <td>
        {trial.trial}
        {best && <span class="badge best-badge">best</span>}
      </td>
      <td class="settings">{formatSettings(trial.settings)}</td>
      <td>
        <StatusBadge status={trial.status} />
      </td>
      <td class="number">{formatMetric(sweep.metric, trial.value)}</td>
      <td class="number">{trial.epochs}</td>
      <td>
        {stop ? (
          <span title={`the median of ${stop.trials} other trials at that epoch`}>
            {stoppedText(sweep.metric, stop)}
          </span>
        ) : (
          <span class="muted">–</span>
        )}
      </td>
      <td>
        <Link href={href('jobs', trial.jobId)} class="mono">
          {trial.jobId}
        </Link>
      </td>
    </tr>
  );
}

/** The sweep's trials in their order, the best one marked. */
export function TrialTable({ sweep }: { sweep: SweepView }) {
  return (
    <div class="table-scroll">
      <table class="trials">
        <thead>
          <tr>
            <th scope="col">Trial</th>
            <th scope="col">Settings</th>
            <th scope="col">Status</th>
            <th scope="col" class="number">
              {metricTitle(sweep.metric)}
            </th>
            <th scope="col" class="number">
              Epochs
            </th>
            <th scope="col">Stopped early</th>
            <th scope="col">Job</th>
          </tr>
        </thead>
        <tbody>
          {sweep.trials.map((trial) => (
            <TrialRow key={trial.trial} sweep={sweep} trial={trial} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

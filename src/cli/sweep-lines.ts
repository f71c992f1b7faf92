/** Sweeps and their events as lines for people: `sweeps get`, `sweeps list` and a watched sweep. */
import type { JobEvent } from '../client/index.js';
import { eventText } from './job-lines.js';
import { formatNumber, table } from './output.js';
import type { Sweep } from './sweep-request.js';

type Trial = Sweep['trials'][number];

const FINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** Whether the sweep has ended. */
export const sweepEnded = (sweep: Sweep) => FINAL.has(sweep.status);

/** A trial's settings: `learningRate=0.01 hiddenUnits=[16,32]`. */
export function settingsText(settings: Record<string, unknown>): string {
  return (
    Object.entries(settings)
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(' ') || '-'
  );
}

function stoppedText(stop: Trial['stoppedEarly']): string {
  if (!stop) return '-';
  return `epoch ${stop.epoch}: ${formatNumber(stop.value)} < median ${formatNumber(stop.median)}`;
}

/** The trials, one row each, the best marked. */
export function trialsTable(sweep: Sweep): string[] {
  const rows = sweep.trials.map((trial) => [
    `${trial.trial}${sweep.best?.trial === trial.trial ? ' (best)' : ''}`,
    settingsText(trial.settings),
    trial.status,
    formatNumber(trial.value),
    String(trial.epochs),
    stoppedText(trial.stoppedEarly),
  ]);
  return table(['TRIAL', 'SETTINGS', 'STATUS', sweep.metric.toUpperCase(), 'EPOCHS', 'STOPPED EARLY'], rows);
}

/** `median rule after 3 grace epochs, against at least 2 other trials`, or `off`. */
function stoppingText(spec: Record<string, unknown>): string {
  const rule = spec.earlyStopping as { rule: string; graceEpochs: number; minTrials: number } | null;
  if (!rule) return 'off';
  return `${rule.rule} rule after ${plural(rule.graceEpochs, 'grace epoch')}, against at least ${plural(rule.minTrials, 'other trial')}`;
}

/** The lines of `sweeps get` and of a watch's end: the sweep's facts, then its trials. */
export function describeSweep(sweep: Sweep): string[] {
  const { counts } = sweep;
  const ended = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0);
  const best = sweep.best
    ? `trial ${sweep.best.trial} (${settingsText(sweep.best.settings)}): ${sweep.metric} ` +
      `${formatNumber(sweep.best.value)}, model ${sweep.best.modelId}`
    : sweepEnded(sweep)
      ? 'none'
      : 'none yet';
  return [
    `${sweep.id}  ${sweep.name}`,
    `  status: ${sweep.status}, ${ended} of ${sweep.trials.length} trials ended` +
      (counts.stoppedEarly ? `, ${counts.stoppedEarly} stopped early` : ''),
    `  ${sweep.method} search, ${sweep.parallel} at a time, by ${sweep.metric} (${sweep.goal === 'max' ? 'highest' : 'lowest'} wins)`,
    `  early stopping: ${stoppingText(sweep.spec)}`,
    `  best: ${best}`,
    ...(sweep.alias
      ? [`  alias: ${sweep.alias} (${sweep.aliasMoved ? 'moved to the best model' : 'not moved'})`]
      : []),
    `  created ${sweep.createdAt}${sweep.finishedAt ? `, finished ${sweep.finishedAt}` : ''}`,
    '',
    ...trialsTable(sweep),
  ];
}

/** How an ended sweep ended, in a line: `sweep swp_… failed: no trial succeeded`. */
export function outcomeText(sweep: Sweep): string {
  const best = sweep.best
    ? `: best trial ${sweep.best.trial}, ${sweep.metric} ${formatNumber(sweep.best.value)}`
    : sweep.status === 'failed'
      ? ': no trial succeeded'
      : '';
  return `sweep ${sweep.id} ${sweep.status}${best}`;
}

/** A row of `sweeps list`. */
export function sweepRow(sweep: Sweep): string[] {
  const ended = sweep.trials.filter((trial) => FINAL.has(trial.status)).length;
  return [
    sweep.id,
    sweep.status,
    sweep.method,
    `${ended}/${sweep.trials.length}`,
    sweep.best ? `${formatNumber(sweep.best.value)} (trial ${sweep.best.trial})` : '-',
    sweep.metric,
    sweep.name,
  ];
}

const numberIn = (data: Record<string, unknown>, key: string) =>
  typeof data[key] === 'number' ? data[key] : undefined;

/** A trial event: it started, was stopped early, or ended. */
function trialText(data: Record<string, unknown>, sweep: Sweep): string {
  const number = numberIn(data, 'trial') ?? 0;
  const trial = sweep.trials.find((t) => t.trial === number);
  const name = `trial ${number}/${sweep.trials.length}`;
  const stop = data.stoppedEarly as
    { epoch: number; value: number; median: number; trials: number } | undefined;
  const value = numberIn(data, 'value');
  const attempt = numberIn(data, 'attempt') ?? 1;
  switch (data.status) {
    case 'running':
      return `${name} started${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${settingsText(trial?.settings ?? {})}`;
    case 'stopping':
      return (
        `${name} stopped early after epoch ${stop?.epoch}: ${sweep.metric} ${formatNumber(stop?.value)} ` +
        `behind the median ${formatNumber(stop?.median)} of ${plural(stop?.trials ?? 0, 'other trial')}`
      );
    default:
      return `${name} ${String(data.status)}${value !== undefined ? `: ${sweep.metric} ${formatNumber(value)}` : ''}`;
  }
}

/** A sweep's status event: `sweep queued: 3 trials`, `sweep succeeded: best trial 2, val_accuracy 0.9333`. */
function statusText(data: Record<string, unknown>, sweep: Sweep): string {
  const best = data.best as Sweep['best'] | undefined;
  const trials = numberIn(data, 'trials');
  const detail = best
    ? `: best trial ${best.trial}, ${sweep.metric} ${formatNumber(best.value)}`
    : trials !== undefined
      ? `: ${trials} trials`
      : data.status === 'failed'
        ? ': no trial succeeded'
        : '';
  return `sweep ${String(data.status)}${detail}`;
}

/** One event of a sweep's log as a line; `sweep` gives its trials' settings and its metric. */
export function sweepEventText(event: JobEvent, sweep: Sweep): string {
  if (event.type === 'trial') return trialText(event.data, sweep);
  if (event.type === 'status') return statusText(event.data, sweep);
  return eventText(event);
}

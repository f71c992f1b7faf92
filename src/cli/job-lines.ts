/** Jobs and their events as lines for people: `jobs logs`, `jobs show` and a watch without a terminal. */
import { FINAL_STATUSES, type Job, type JobEvent } from '../client/index.js';
import { formatDuration, formatNumber } from './output.js';

const numberIn = (data: Record<string, unknown>, key: string) =>
  typeof data[key] === 'number' ? data[key] : undefined;
const textIn = (data: Record<string, unknown>, key: string) =>
  typeof data[key] === 'string' ? data[key] : undefined;

/**
 * An epoch row's metrics: `loss 0.4213  acc 0.9012  val_loss 0.5000  val_acc 0.8800`, or for a regression
 * `loss 0.0906  mae 212.5  val_loss 0.1323  val_mae 260.1  val_r2 0.8123`.
 */
export function epochMetrics(row: Record<string, unknown>): string {
  const regression = numberIn(row, 'mae') !== undefined;
  const show = (key: string, name = key) => `${name} ${formatNumber(numberIn(row, key))}`;
  const parts = [show('loss'), regression ? show('mae') : show('accuracy', 'acc')];
  if (numberIn(row, 'val_loss') !== undefined)
    parts.push(
      show('val_loss'),
      ...(regression ? [show('val_mae'), show('val_r2')] : [show('val_accuracy', 'val_acc')]),
    );
  return parts.join('  ');
}

/** A status event: `running (attempt 1)`, `succeeded: model mdl_…`, `failed: training_error: …`. */
function statusText(data: Record<string, unknown>): string {
  const status = textIn(data, 'status') ?? '?';
  const error = data.error as { code?: string; message?: string } | null | undefined;
  if (error) return `${status}: ${error.code}: ${error.message}`;
  const modelId = textIn(data, 'modelId');
  if (modelId) return `${status}: model ${modelId}`;
  const attempt = numberIn(data, 'attempt');
  const message = textIn(data, 'message');
  return [status, attempt !== undefined ? `(attempt ${attempt})` : '', message ? `: ${message}` : '']
    .filter(Boolean)
    .join(' ')
    .replace(' :', ':');
}

/** One event as a line, without its time; `epochs` is the phase's epoch count where known. */
export function eventText(event: JobEvent, epochs?: number): string {
  const { data } = event;
  switch (event.type) {
    case 'status':
      return `status ${statusText(data)}`;
    case 'epoch': {
      const of = epochs ? `/${epochs}` : '';
      return `epoch ${numberIn(data, 'epoch')}${of} ${textIn(data, 'phase') ?? ''}  ${epochMetrics(data)}`;
    }
    case 'progress': {
      const fraction = numberIn(data, 'fraction') ?? 0;
      return (
        `progress ${textIn(data, 'phase')} epoch ${numberIn(data, 'epoch')}/${numberIn(data, 'epochs')} ` +
        `batch ${numberIn(data, 'batch')}/${numberIn(data, 'batches')} ${Math.round(fraction * 100)}% ` +
        `ETA ${formatDuration(numberIn(data, 'etaSeconds'))}`
      );
    }
    case 'log':
      return `log ${textIn(data, 'level') ?? 'info'}: ${textIn(data, 'message') ?? ''}`;
    case 'checkpoint':
      return `checkpoint at epoch ${numberIn(data, 'epoch')} (${numberIn(data, 'sizeBytes')} bytes)`;
    // A sweep's log (sweep-lines.ts tells these with the trial's settings).
    case 'trial':
      return `trial ${numberIn(data, 'trial')} ${textIn(data, 'status') ?? '?'}`;
  }
}

/** The lines of `jobs show`. */
export function describeJob(job: Job): string[] {
  const progress =
    job.progress && !FINAL_STATUSES.has(job.status)
      ? `  progress: ${job.progress.phase} epoch ${job.progress.epoch}/${job.progress.epochs}, ` +
        `${Math.round(job.progress.fraction * 100)}%, ETA ${formatDuration(job.etaSeconds)}`
      : undefined;
  return [
    `${job.id}  ${job.name}`,
    `  status: ${job.status}${job.queuePosition ? ` (position ${job.queuePosition})` : ''}`,
    ...(progress ? [progress] : []),
    ...(job.history.length > 0 ? [`  last epoch: ${epochMetrics(job.history.at(-1)!)}`] : []),
    ...(job.modelId ? [`  model: ${job.modelId}`] : []),
    ...(job.error ? [`  error: ${job.error.code}: ${job.error.message}`] : []),
    ...(job.backend ? [`  backend: ${job.backend.name} (${job.backend.device})`] : []),
    `  created ${job.createdAt}${job.finishedAt ? `, finished ${job.finishedAt}` : ''}, attempts ${job.attempts}`,
  ];
}

/** How a finished job ended, in a line: `job_… succeeded in 12s: model mdl_…, val_accuracy 0.9312`. */
export function outcomeText(job: Job): string {
  const took =
    job.startedAt && job.finishedAt
      ? ` in ${formatDuration((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000)}`
      : '';
  if (job.status === 'succeeded') {
    // A classification's accuracy, a regression's R², on the validation rows when there are any.
    const metrics = job.metrics as Record<string, number | null | undefined>;
    const metric = ['val_accuracy', 'val_r2', 'accuracy', 'r2'].find(
      (key) => typeof metrics[key] === 'number',
    );
    const shown = metric ? `, ${metric} ${formatNumber(metrics[metric])}` : '';
    return `job ${job.id} succeeded${took}: model ${job.modelId}${shown}`;
  }
  if (job.error) return `job ${job.id} ${job.status}${took}: ${job.error.code}: ${job.error.message}`;
  return `job ${job.id} ${job.status}${took}`;
}

import { DelayedError, type Job } from 'bullmq';
import type { JobEvents } from '../src/jobs/job-events.js';
import type { TrainingPayload, TrainingResultValue } from '../src/queue/catalogue.js';
import type { MedianRule } from '../src/sweeps/median-rule.js';
import type { SweepGate } from '../src/sweeps/sweep-gate.js';
import type { SweepLog } from '../src/sweeps/sweep-log.js';
import type { EpochRow } from '../src/training/progress.js';

/** What a worker needs to run sweeps' trials: the gate to their places, the stopping rule, their sweeps' logs. */
export interface SweepTrialDeps {
  gate: SweepGate;
  rule: MedianRule;
  log: SweepLog;
  events: JobEvents;
}

const shown = (value: number) => Number(value.toPrecision(4));

/**
 * The parts of a training job's run that belong to its sweep, when it is a trial (null otherwise): entering
 * through the sweep's gate, telling the sweep's log it started and ended, and the early-stopping rule after
 * every epoch. A trial the rule stops finishes the epoch under way and ends succeeded with its model.
 */
export function sweepTrial(
  deps: SweepTrialDeps | undefined,
  job: Job<TrainingPayload, TrainingResultValue>,
  token: string | undefined,
) {
  const trial = job.data.sweep;
  if (!deps || !trial) return null;
  const id = job.id!;
  const { sweepId } = trial;
  const number = trial.index + 1;
  return {
    /** Null when the trial may run; otherwise it is held, and the processor throws what this returns. */
    async admit(): Promise<Error | null> {
      if (await deps.gate.enter(trial, id)) return null;
      await deps.gate.hold(trial, job, token);
      return new DelayedError();
    },

    async started(attempt: number): Promise<void> {
      await deps.log.status(sweepId, 'running', {}, 'queued');
      await deps.log.trial(sweepId, { trial: number, jobId: id, status: 'running', attempt });
    },

    /** After each epoch: a trial the rule finds behind is told to finish (`stop`). */
    async epoch(row: EpochRow, stop: () => void): Promise<void> {
      const verdict = await deps.rule.judge(trial, id, row);
      if (!verdict) return;
      await deps.rule.recordStop(trial, id, verdict);
      const message =
        `stopped early by its sweep after epoch ${verdict.epoch}: its best ${trial.metric} ` +
        `${shown(verdict.value)} is behind the median ${shown(verdict.median)} of ${verdict.trials} other trials`;
      await deps.events.append(id, { type: 'log', data: { level: 'info', message } });
      await deps.log.trial(sweepId, { trial: number, jobId: id, status: 'stopping', stoppedEarly: verdict });
      stop();
    },

    /** The trial left its worker (ended, paused, handed back or held): its place frees up for the next. */
    async left(result: TrainingResultValue | undefined): Promise<void> {
      await deps.gate.leave(trial, id);
      const status = await deps.events.lastStatus(id);
      const value = result?.metrics[trial.metric];
      await deps.log.trial(sweepId, {
        trial: number,
        jobId: id,
        status,
        ...(status === 'succeeded' && typeof value === 'number' && { value }),
      });
    },
  };
}
export type SweepTrial = NonNullable<ReturnType<typeof sweepTrial>>;

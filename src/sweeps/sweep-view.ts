import type { Job, Queue } from 'bullmq';
import { Type, type Static } from 'typebox';
import { JOB_STATUSES } from '../jobs/job-events.js';
import type { JobView } from '../jobs/job-view.js';
import type { SweepPayload, SweepResultValue } from '../queue/catalogue.js';
import { StringRecord } from '../string-record.js';
import type { StopVerdict } from './median-rule.js';
import { SWEEP_STATUSES, type SweepStatus } from './sweep-log.js';
import { SWEEP_METRICS, type SweepSpec } from './sweep-spec.js';
import type { PlannedTrial } from './sweep-trials.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const StopSchema = Type.Object(
  {
    epoch: Type.Integer(),
    value: Type.Number({ description: 'Its best metric up to that epoch' }),
    median: Type.Number({ description: "The median of the other trials' best at that epoch" }),
    trials: Type.Integer({ description: 'Other trials that had reached it' }),
  },
  { description: 'Set when the median rule stopped the trial: it ended at the end of the epoch under way' },
);

export const TrialViewSchema = Type.Object(
  {
    trial: Type.Integer({ description: '1-based' }),
    jobId: Type.String(),
    status: Type.Enum([...JOB_STATUSES]),
    settings: StringRecord(Type.Unknown(), { description: 'The value of each setting the space varies' }),
    value: Nullable(
      Type.Number({ description: "The sweep's metric: the job's final, or latest while it runs" }),
    ),
    epochs: Type.Integer({ description: 'Epochs run so far' }),
    stoppedEarly: Nullable(StopSchema),
    modelId: Nullable(Type.String()),
  },
  { title: 'Trial' },
);
export type TrialView = Static<typeof TrialViewSchema>;

export const SweepViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: Type.Enum([...SWEEP_STATUSES]),
    metric: Type.Enum(Object.keys(SWEEP_METRICS)),
    goal: Type.Enum(['max', 'min']),
    method: Type.Enum(['grid', 'random']),
    parallel: Type.Integer(),
    alias: Nullable(Type.String()),
    cancelRequested: Type.Boolean({
      description: 'A cancel was asked for: the sweep ends cancelled once its trials have',
    }),
    aliasMoved: Type.Boolean({
      description: 'Whether the alias was moved to the best model when the sweep ended',
    }),
    counts: StringRecord(Type.Integer(), {
      description: 'Trials by status, and how many were stopped early',
    }),
    best: Nullable(
      Type.Object(
        {
          trial: Type.Integer(),
          jobId: Type.String(),
          modelId: Type.String(),
          value: Type.Number(),
          settings: StringRecord(Type.Unknown()),
        },
        { description: 'The succeeded trial with the best metric (so far, while the sweep runs)' },
      ),
    ),
    trials: Type.Array(TrialViewSchema),
    spec: Type.Object(
      {},
      { additionalProperties: true, description: 'The request with every default filled in' },
    ),
    createdAt: Type.String({ format: 'date-time' }),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'Sweep' },
);
export type SweepView = Static<typeof SweepViewSchema>;

/** A trial as the sweep shows it, from its job's view. */
export function trialView(
  sweep: SweepSpec,
  trial: PlannedTrial,
  job: JobView | undefined,
  stopped: StopVerdict | undefined,
): TrialView {
  const value = job?.metrics[sweep.metric];
  return {
    trial: trial.index + 1,
    jobId: trial.jobId,
    // A trial whose job has gone (retention) counts as it ended: cancelled, having nothing to show.
    status: job?.status ?? 'cancelled',
    settings: trial.settings,
    value: typeof value === 'number' && Number.isFinite(value) ? value : null,
    epochs: job?.history.length ?? 0,
    stoppedEarly: stopped ?? null,
    modelId: job?.modelId ?? null,
  };
}

/** The succeeded trial with the best value, the lower index winning a tie. */
export function bestTrial(trials: TrialView[], goal: 'max' | 'min'): TrialView | null {
  let best: TrialView | null = null;
  for (const trial of trials) {
    if (trial.status !== 'succeeded' || trial.value === null || trial.modelId === null) continue;
    if (!best || (goal === 'max' ? trial.value > best.value! : trial.value < best.value!)) best = trial;
  }
  return best;
}

/** The sweep as GET /v1/sweeps/:id shows it: its parent job, its log's status, and its trials' views. */
export function sweepView(
  job: Pick<Job<SweepPayload, SweepResultValue>, 'id' | 'data' | 'returnvalue'>,
  status: SweepStatus,
  trials: TrialView[],
  cancelRequested: boolean,
): SweepView {
  const { spec, createdAt } = job.data;
  const result = (job.returnvalue as SweepResultValue | null) ?? job.data.result ?? null;
  const counts: Record<string, number> = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0]));
  for (const trial of trials) counts[trial.status] = (counts[trial.status] ?? 0) + 1;
  counts.stoppedEarly = trials.filter((trial) => trial.stoppedEarly).length;
  const best = bestTrial(trials, spec.goal);
  return {
    id: job.id!,
    name: spec.name,
    status,
    metric: spec.metric,
    goal: spec.goal,
    method: spec.method,
    parallel: spec.parallel,
    alias: spec.alias,
    cancelRequested,
    aliasMoved: result?.aliasMoved ?? false,
    counts,
    best: best && {
      trial: best.trial,
      jobId: best.jobId,
      modelId: best.modelId!,
      value: best.value!,
      settings: best.settings,
    },
    trials,
    spec: { ...spec },
    createdAt,
    finishedAt: result?.finishedAt ?? null,
  };
}

export type SweepQueue = Queue<SweepPayload, SweepResultValue>;

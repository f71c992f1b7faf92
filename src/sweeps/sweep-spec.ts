import { Type, type Static } from 'typebox';
import { ALIAS_NAME_PATTERN } from '../models/alias-store.js';
import { JobRequestSchema, type JobRequest } from '../jobs/job-spec.js';
import { SearchSpaceSchema, type SearchSpace } from './search-space.js';
import { MAX_TRIALS } from './trial-plan.js';

/**
 * The metrics a sweep can optimise, each with its direction and the task it belongs to (null: either). All are
 * measured on validation rows, so a sweep's job must have some.
 */
export const SWEEP_METRICS = {
  val_accuracy: { goal: 'max', task: 'classification' },
  val_loss: { goal: 'min', task: null },
  val_r2: { goal: 'max', task: 'regression' },
  val_mae: { goal: 'min', task: 'regression' },
  val_rmse: { goal: 'min', task: 'regression' },
} as const satisfies Record<string, { goal: 'max' | 'min'; task: 'classification' | 'regression' | null }>;
export type SweepMetric = keyof typeof SWEEP_METRICS;

const EarlyStoppingSchema = Type.Object(
  {
    rule: Type.Enum(['median', 'none'], {
      description:
        "median (default): a trial whose best metric so far is behind the median of the other trials' at the same epoch stops there; none: every trial runs its course",
    }),
    graceEpochs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1000,
        description: 'Epochs every trial runs before it can be stopped (default 3)',
      }),
    ),
    minTrials: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TRIALS,
        description: 'Other trials that must have reached the epoch for the rule to judge (default 2)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The body of POST /v1/sweeps. */
export const SweepRequestSchema = Type.Object(
  {
    // Its trials are named after it, within a job name's 200 characters.
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 180 })),
    job: Type.Intersect([JobRequestSchema], {
      description:
        "The job every trial runs, with the space's settings applied; what it leaves out is automatic",
    }),
    space: SearchSpaceSchema,
    method: Type.Optional(
      Type.Enum(['grid', 'random'], {
        description: 'grid: every combination of the listed values; random (default): `trials` draws',
      }),
    ),
    trials: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TRIALS,
        description:
          'How many trials: random search default 10; a grid runs all its combinations unless told fewer',
      }),
    ),
    parallel: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 16, description: 'Trials running at once (default 2)' }),
    ),
    metric: Type.Optional(
      Type.Enum(Object.keys(SWEEP_METRICS) as SweepMetric[], {
        description: 'What picks the best trial: default val_accuracy, or val_loss for a regression',
      }),
    ),
    earlyStopping: Type.Optional(EarlyStoppingSchema),
    alias: Type.Optional(
      Type.String({
        pattern: `^${ALIAS_NAME_PATTERN}$`,
        description: "An alias moved to the best trial's model when the sweep succeeds",
      }),
    ),
    seed: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seeds the draws of a random search' }),
    ),
  },
  { title: 'SweepRequest', additionalProperties: false },
);
export type SweepRequest = Static<typeof SweepRequestSchema>;

/** A sweep's request with every default filled in. */
export interface SweepSpec {
  name: string;
  job: JobRequest;
  space: SearchSpace;
  method: 'grid' | 'random';
  parallel: number;
  metric: SweepMetric;
  goal: 'max' | 'min';
  earlyStopping: { rule: 'median'; graceEpochs: number; minTrials: number } | null;
  alias: string | null;
  seed: number;
}

/** Fills the sweep's defaults; its trials are planned apart (trial-plan.ts). */
export function resolveSweepSpec(request: SweepRequest, randomSeed: () => number): SweepSpec {
  const metric = request.metric ?? (request.job.task === 'regression' ? 'val_loss' : 'val_accuracy');
  const stopping = request.earlyStopping;
  return {
    name: request.name ?? `sweep on ${request.job.dataset}`,
    job: request.job,
    space: request.space,
    method: request.method ?? 'random',
    parallel: request.parallel ?? 2,
    metric,
    goal: SWEEP_METRICS[metric].goal,
    earlyStopping:
      stopping?.rule === 'none'
        ? null
        : { rule: 'median', graceEpochs: stopping?.graceEpochs ?? 3, minTrials: stopping?.minTrials ?? 2 },
    alias: request.alias ?? null,
    seed: request.seed ?? randomSeed(),
  };
}

/** What a trial's training job carries of its sweep: enough for its worker to apply the early-stopping rule. */
export interface TrialOfSweep {
  sweepId: string;
  index: number;
  metric: SweepMetric;
  goal: 'max' | 'min';
  earlyStopping: SweepSpec['earlyStopping'];
  parallel: number;
}

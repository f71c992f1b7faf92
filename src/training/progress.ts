import { Type, type Static } from 'typebox';

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const PhaseSchema = Type.Enum(['head', 'fine-tune']);
export type Phase = Static<typeof PhaseSchema>;

/** A phase as progress reports it: the training phases, and the frozen base computing features before them. */
export const ProgressPhaseSchema = Type.Enum(['features', 'head', 'fine-tune'], {
  description:
    "features: the frozen base computing features of every row once, before the head trains on them (batch and batches count its prediction chunks; fraction stays that of the training batches, etaSeconds is the pass's own); head, fine-tune: training",
});

const RegressionMetric = (what: string) =>
  Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: what }));

/**
 * One row of training history per epoch. Classification: accuracy; regression (accuracy null): the errors in the
 * target's own units and R², on the training rows and the validation rows (`val_`).
 */
export const EpochRowSchema = Type.Object(
  {
    epoch: Type.Integer(),
    phase: PhaseSchema,
    loss: Type.Number(),
    accuracy: NullableNumber,
    val_loss: NullableNumber,
    val_accuracy: NullableNumber,
    mae: RegressionMetric('Regression: mean absolute error'),
    rmse: RegressionMetric('Regression: root mean squared error'),
    r2: RegressionMetric('Regression: coefficient of determination'),
    val_mae: RegressionMetric('Regression: mean absolute error on the validation rows'),
    val_rmse: RegressionMetric('Regression: root mean squared error on the validation rows'),
    val_r2: RegressionMetric('Regression: coefficient of determination on the validation rows'),
  },
  { title: 'EpochRow' },
);
export type EpochRow = Static<typeof EpochRowSchema>;

/** Where training stands among its planned batches: the part of a {@link Progress} a job view shows. */
export const ProgressPointSchema = Type.Object({
  phase: ProgressPhaseSchema,
  // 1-based, across both phases.
  epoch: Type.Integer(),
  epochs: Type.Integer(),
  batch: Type.Integer(),
  batches: Type.Integer(),
  // Share of all planned batches done, 0..1.
  fraction: Type.Number(),
  samplesPerSecond: NullableNumber,
  // Seconds left at the current pace, if every planned epoch runs.
  etaSeconds: NullableNumber,
});

/** What training reports as it goes: where it stands, the last epoch's metrics and the history so far. */
export const ProgressSchema = Type.Object({
  ...ProgressPointSchema.properties,
  metrics: Type.Partial(Type.Omit(EpochRowSchema, ['epoch', 'phase'])),
  history: Type.Array(EpochRowSchema),
});
export type Progress = Static<typeof ProgressSchema>;

/** The size of a training run, which progress and the ETA are measured against. */
export interface ProgressPlan {
  /** Epochs of both phases. */
  totalEpochs: number;
  batchesPerEpoch: number;
  batchSize: number;
}

/** Where the features pass stands: `done` of `rows` rows, `chunk` of `chunks` chunks, at `rowsPerSecond`. */
export function featuresProgress(
  plan: ProgressPlan,
  history: EpochRow[],
  at: { done: number; rows: number; chunk: number; chunks: number; rowsPerSecond: number | null },
): Progress {
  const { done, rows, rowsPerSecond } = at;
  const trained = progressOf(plan, history, {
    phase: 'head',
    epoch: history.length + 1,
    batch: 0,
    samplesPerSecond: null,
  });
  return {
    ...trained,
    phase: 'features',
    epoch: history.length,
    batch: at.chunk,
    batches: at.chunks,
    samplesPerSecond: rowsPerSecond,
    etaSeconds: rowsPerSecond ? Math.round(((rows - done) / rowsPerSecond) * 10) / 10 : null,
  };
}

/** The progress of batch `batch` of 1-based `epoch`, at `samplesPerSecond`. */
export function progressOf(
  plan: ProgressPlan,
  history: EpochRow[],
  at: { phase: Phase; epoch: number; batch: number; samplesPerSecond: number | null },
): Progress {
  const { totalEpochs, batchesPerEpoch } = plan;
  const { epoch, batch, samplesPerSecond } = at;
  const last = history.at(-1);
  const done = (epoch - 1) * batchesPerEpoch + batch;
  const remainingSamples = Math.max(totalEpochs * batchesPerEpoch - done, 0) * plan.batchSize;
  return {
    phase: at.phase,
    epoch,
    epochs: totalEpochs,
    batch,
    batches: batchesPerEpoch,
    fraction: Math.min(done / (totalEpochs * batchesPerEpoch), 1),
    samplesPerSecond,
    etaSeconds: samplesPerSecond ? Math.round((remainingSamples / samplesPerSecond) * 10) / 10 : null,
    metrics: last ? epochMetrics(last) : {},
    history: [...history],
  };
}

/** An epoch's metrics, without its number and phase: what a job shows as its latest. */
export function epochMetrics(row: EpochRow): Progress['metrics'] {
  const metrics: Partial<EpochRow> = { ...row };
  delete metrics.epoch;
  delete metrics.phase;
  return metrics;
}

import * as tf from '@tensorflow/tfjs';
import type { ModelRecord } from '../models/model-store.js';
import type { PixelScaling } from '../models/preprocessing.js';
import { classWeightsOf } from './class-weights.js';
import type { DatasetTensors, Rng, Rows, Standardization } from './data.js';
import { evaluate, type Evaluation } from './evaluate.js';
import type { DropoutSteps } from './model.js';
import type { TrainingHooks, TrainingRun } from './phase-loop.js';
import type { EpochRow } from './progress.js';
import { evaluateRegression, type RegressionEvaluation } from './regression-evaluation.js';
import type { TargetScaling, TrainingTask } from './tasks.js';
import type { TrainingInput, TrainingResult } from './train.js';

const PROGRESS_INTERVAL_MS = 250;

/** The chosen rows, their standardization, and the shuffling RNG to go on with; the task and its target's scaling. */
export interface PreparedRows extends Rows {
  stats: Standardization | null;
  /** The scaling of every value before the standardization (input-preprocessing.ts); null: none. */
  pixels: PixelScaling | null;
  rng: Rng;
  task: TrainingTask;
  targetScaling: TargetScaling | null;
}

export function trainingRun(
  input: TrainingInput,
  hooks: TrainingHooks,
  parts: { model: tf.LayersModel; rows: PreparedRows; tensors: DatasetTensors; dropoutSteps: DropoutSteps },
): TrainingRun {
  const h = input.spec.hyperparameters;
  const { rows, tensors } = parts;
  const { resume } = input;
  return {
    hyperparameters: h,
    plan: {
      totalEpochs: h.epochs + (h.fineTune?.epochs ?? 0),
      batchesPerEpoch: Math.ceil(rows.train.length / h.batchSize),
      batchSize: h.batchSize,
      trainRows: rows.train.length,
      checkpointEvery: input.checkpointEvery ?? 1,
      checkpointMinIntervalMs: input.checkpointMinIntervalMs ?? 0,
      progressIntervalMs: input.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
    },
    hooks,
    signal: input.signal,
    model: parts.model,
    trainY: tensors.trainY,
    valY: tensors.valY,
    rng: rows.rng,
    dropoutSteps: parts.dropoutSteps,
    standardization: rows.stats,
    pixels: rows.pixels,
    classWeight: classWeightsOf(input.spec.classWeight, input.labels, input.data.labelIndex, rows.train),
    task: {
      kind: rows.task,
      compile: rows.task.compile(input.spec),
      context: { scaling: rows.targetScaling, validationVariance: varianceOf(tensors.valY) },
    },
    resume,
    history: resume ? [...resume.state.history] : [],
    restoredRow: resume?.state.restoredRow ?? null,
    pace: { lastProgressAt: 0, lastYieldAt: Date.now(), lastCheckpointAt: Date.now() },
  };
}

export async function logResume({ resume, hooks }: TrainingRun): Promise<void> {
  if (!resume) return;
  const { history, batchesDone, phase } = resume.state;
  await hooks.onLog?.(
    `resumed from the checkpoint after epoch ${history.length}` +
      (batchesDone > 0 ? `, batch ${batchesDone} of epoch ${history.length + 1}` : '') +
      ` (${phase} phase)`,
  );
}

/** Evaluates on the validation rows when there are any, else on the training rows. */
export async function evaluateModel(
  model: tf.LayersModel,
  { trainX, trainY, valX, valY }: DatasetTensors,
  { labels, predictChunkRows }: TrainingInput,
  { task, targetScaling }: PreparedRows,
): Promise<Evaluation | RegressionEvaluation> {
  const [x, y, split] =
    valX && valY ? [valX, valY, 'validation' as const] : [trainX, trainY, 'train' as const];
  return task.name === 'regression'
    ? evaluateRegression(model, x, y, targetScaling!, split, predictChunkRows)
    : evaluate(model, x, y, labels, split, predictChunkRows);
}

/** The run's history and the metrics of its result: the best epoch early stopping restored, else the last. */
export function outcome(
  run: TrainingRun,
  preprocessing: ModelRecord['preprocessing'],
): Pick<TrainingResult, 'history' | 'metrics' | 'preprocessing'> {
  const final: EpochRow | undefined = run.restoredRow ?? run.history.at(-1);
  const keys =
    run.task.kind.name === 'regression'
      ? (['loss', 'val_loss', 'mae', 'rmse', 'r2', 'val_mae', 'val_rmse', 'val_r2'] as const)
      : (['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const);
  return {
    preprocessing,
    history: run.history,
    metrics: Object.fromEntries(keys.map((key) => [key, final?.[key] ?? null])),
  };
}

/** The variance of scaled validation targets, for R²; null without validation rows. */
function varianceOf(valY: tf.Tensor | null): number | null {
  return valY ? tf.tidy(() => tf.moments(valY).variance.dataSync()[0]!) : null;
}

import * as tf from '@tensorflow/tfjs';
import type { DatasetData } from '../datasets/dataset-store.js';
import type { JobSpec } from '../jobs/job-spec.js';
import { categoricalCrossentropy } from './cross-entropy.js';
import { labelTensor } from './data.js';
import type { EpochRow } from './progress.js';

/** What a job learns: a class among the labels, or a number. */
export type TaskName = 'classification' | 'regression';

/** The task of a job's spec; specs stored before tasks existed are classifications. */
export const taskOf = (spec: Pick<JobSpec, 'task'>): TaskName => spec.task ?? 'classification';

/** How a numeric target is scaled for training: `(y - mean) / std`, undone on every prediction. */
export interface TargetScaling {
  mean: number;
  std: number;
}

/** Per-batch sums an epoch's training metrics are averaged from, as checkpoints save them part-way. */
export interface BatchSums {
  loss: number;
  accuracy: number;
  samples: number;
  /** Regression: absolute and squared errors, in scaled units. */
  mae?: number;
  mse?: number;
}

/** What differs between tasks in training: the output layer, the loss and metrics, the targets, the row. */
export interface TrainingTask {
  name: TaskName;
  /** Units and activation of the layer every model ends in. */
  output(classes: number): { units: number; activation: 'softmax' | 'linear' };
  compile(spec: JobSpec): {
    loss: string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);
    metrics: string[];
  };
  /** The targets of `rows` as the model trains on them. */
  targets(
    data: DatasetData,
    rows: ArrayLike<number>,
    classes: number,
    scaling: TargetScaling | null,
  ): tf.Tensor;
  /** Adds one batch's logs, `size` rows, to the sums. */
  addBatch(sums: BatchSums, logs: tf.Logs | undefined, size: number): void;
  /** The epoch's metrics from the sums and the last logs (validation metrics are TF.js's own). */
  epochMetrics(sums: BatchSums, logs: tf.Logs, context: RowContext): Omit<EpochRow, 'epoch' | 'phase'>;
}

/** What regression metrics are put back into the target's units with. */
export interface RowContext {
  scaling: TargetScaling | null;
  /** Variance of the validation targets in scaled units, for R²; null without validation rows. */
  validationVariance: number | null;
}

export function logValue(logs: tf.Logs | undefined, ...keys: string[]): number | null {
  for (const key of keys) {
    const value = logs?.[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return null;
}

const classification: TrainingTask = {
  name: 'classification',
  output: (classes) => ({ units: classes, activation: 'softmax' }),
  compile: () => ({ loss: categoricalCrossentropy, metrics: ['accuracy'] }),
  targets: (data, rows, classes) => labelTensor(data.labelIndex, rows, classes),
  addBatch(sums, logs, size) {
    sums.loss += (logValue(logs, 'loss') ?? Number.NaN) * size;
    sums.accuracy += (logValue(logs, 'acc', 'accuracy') ?? 0) * size;
    sums.samples += size;
  },
  epochMetrics: (sums, logs) => ({
    loss: sums.loss / sums.samples,
    accuracy: sums.accuracy / sums.samples,
    val_loss: logValue(logs, 'val_loss'),
    val_accuracy: logValue(logs, 'val_acc', 'val_accuracy'),
  }),
};

const huber = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.huberLoss(yTrue, yPred);

/** Errors in the target's units: MAE and RMSE scaled back, and R² against the split's variance. */
function regressionMetrics(mae: number | null, mse: number | null, variance: number | null, std: number) {
  return {
    mae: mae === null ? null : mae * std,
    rmse: mse === null ? null : Math.sqrt(mse) * std,
    r2: mse === null || variance === null || variance <= 0 ? null : 1 - mse / variance,
  };
}

const regression: TrainingTask = {
  name: 'regression',
  output: () => ({ units: 1, activation: 'linear' }),
  compile: (spec) => ({
    loss: spec.loss === 'huber' ? huber : 'meanSquaredError',
    metrics: ['mae', 'mse'],
  }),
  targets(data, rows, _classes, scaling) {
    const targets = data.targets;
    if (!targets) throw new Error('a regression job needs a dataset of numeric labels');
    const { mean, std } = scaling ?? { mean: 0, std: 1 };
    const out = Float32Array.from({ length: rows.length }, (_, r) => (targets[rows[r]!]! - mean) / std);
    return tf.tensor2d(out, [rows.length, 1]);
  },
  addBatch(sums, logs, size) {
    sums.loss += (logValue(logs, 'loss') ?? Number.NaN) * size;
    sums.mae = (sums.mae ?? 0) + (logValue(logs, 'meanAbsoluteError', 'mae') ?? 0) * size;
    sums.mse = (sums.mse ?? 0) + (logValue(logs, 'meanSquaredError', 'mse') ?? 0) * size;
    sums.samples += size;
  },
  epochMetrics(sums, logs, { scaling, validationVariance }) {
    const std = scaling?.std ?? 1;
    // The training targets are scaled by their own statistics: their variance is 1.
    const train = regressionMetrics((sums.mae ?? 0) / sums.samples, (sums.mse ?? 0) / sums.samples, 1, std);
    const validation = regressionMetrics(
      logValue(logs, 'val_meanAbsoluteError', 'val_mae'),
      logValue(logs, 'val_meanSquaredError', 'val_mse'),
      validationVariance,
      std,
    );
    return {
      loss: sums.loss / sums.samples,
      accuracy: null,
      val_loss: logValue(logs, 'val_loss'),
      val_accuracy: null,
      ...train,
      val_mae: validation.mae,
      val_rmse: validation.rmse,
      val_r2: validation.r2,
    };
  },
};

/** The tasks, by name: a new kind of target registers here. */
export const TASKS: Record<TaskName, TrainingTask> = { classification, regression };

/** The mean and standard deviation of the targets of `rows` (the training split's). */
export function targetScaling(targets: Float32Array, rows: ArrayLike<number>): TargetScaling {
  let sum = 0;
  let squares = 0;
  for (let r = 0; r < rows.length; r++) {
    const y = targets[rows[r]!]!;
    sum += y;
    squares += y * y;
  }
  const n = Math.max(rows.length, 1);
  const mean = sum / n;
  const variance = squares / n - mean * mean;
  return { mean, std: variance > 1e-12 ? Math.sqrt(variance) : 1 };
}

import * as tf from '@tensorflow/tfjs';

/**
 * The step TF.js's `fit` takes for each batch of a compiled model: the loss (weighted by the rows' weights when
 * they are given), the compiled metrics and any regularizers, one optimizer step. It takes the batch's inputs,
 * targets and row weights, and returns the loss and the metrics, in the order of `metricsNames`.
 */
type TrainStep = (batch: tf.Tensor[]) => tf.Scalar[];

/** What one epoch trains on: rows in the epoch's order, and the validation rows, if any. */
export interface EpochData {
  xs: tf.Tensor;
  ys: tf.Tensor;
  /** Each row's weight in the loss (see class-weights.ts); null: every row counts the same. */
  rowWeights: tf.Tensor | null;
  batchSize: number;
  validation: { x: tf.Tensor; y: tf.Tensor } | null;
}

/** The model that holds what `compile` set up: a Sequential keeps it on the model it wraps. */
function compiledModel(model: tf.LayersModel): tf.LayersModel {
  return model instanceof tf.Sequential ? (model as unknown as { model: tf.LayersModel }).model : model;
}

/** What `fit` itself calls on a compiled model: its train step, and the names it gives the step's values. */
interface FitInternals {
  makeTrainFunction?: () => TrainStep;
  getDedupedMetricsNames?: () => string[];
}

/** The compiled model's own train step, the one its `fit` runs for every batch, and its values' names. */
function trainStepOf(model: tf.LayersModel): { step: TrainStep; names: string[] } {
  const compiled = compiledModel(model);
  const internals = compiled as unknown as FitInternals;
  if (typeof internals.makeTrainFunction !== 'function')
    throw new Error('this version of TF.js has no train step a training loop can call');
  const names = internals.getDedupedMetricsNames?.() ?? compiled.metricsNames;
  return { step: internals.makeTrainFunction(), names };
}

/** Reads scalars into numbers under the names given, and disposes them. */
async function namedValues(scalars: tf.Scalar[], names: string[], prefix = ''): Promise<tf.Logs> {
  try {
    const values = await Promise.all(scalars.map((s) => s.data()));
    return Object.fromEntries(names.map((name, i) => [prefix + name, values[i]![0]!]));
  } finally {
    tf.dispose(scalars);
  }
}

/**
 * Trains the compiled `model` for one epoch over `data.xs` and `data.ys` in their order, batch by batch, as
 * `fit({ epochs: 1, shuffle: false, classWeight, validationData })` does: the same step on the same batches, and
 * validation once every batch is done. It leaves out what `fit` does besides (checks and set-up every call,
 * index gathers and running totals every batch). `onBatchEnd` is given each batch's loss and metrics by name
 * and returns true to stop the epoch there; after the last batch that changes nothing, as in `fit`, whose
 * validation runs before the last batch's callback. Returns the validation logs (`val_loss`, ...): empty when the
 * epoch stopped before its last batch or has no validation rows.
 */
export async function trainEpoch(
  model: tf.LayersModel,
  data: EpochData,
  onBatchEnd: (logs: tf.Logs) => Promise<boolean>,
): Promise<tf.Logs> {
  const { step, names } = trainStepOf(model);
  const { xs, ys, rowWeights, batchSize } = data;
  const rows = xs.shape[0];
  for (let start = 0; start < rows; start += batchSize) {
    const size = Math.min(batchSize, rows - start);
    const outputs = tf.tidy(() =>
      step([xs, ys, ...(rowWeights ? [rowWeights] : [])].map((t) => t.slice(start, size))),
    );
    const stop = await onBatchEnd(await namedValues(outputs, names));
    if (stop && start + size < rows) return {};
  }
  if (!data.validation) return {};
  const scores = model.evaluate(data.validation.x, data.validation.y, { batchSize });
  return namedValues(Array.isArray(scores) ? scores : [scores], names, 'val_');
}

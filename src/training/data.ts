import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { Type, type Static } from 'typebox';
import type { DatasetData } from '../datasets/dataset-store.js';
import type { Preprocessing } from '../models/preprocessing.js';

export type Rng = seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

/** The saved state of an {@link Rng}, as `rng.state()` returns it. */
export type RngState = seedrandom.State.Arc4;

/** A seeded random source whose state can be saved and restored. */
export function createRng(seed: number): Rng {
  return seedrandom(String(seed), { state: true });
}

/** An {@link Rng} that goes on from a saved state. */
export function restoreRng(state: RngState): Rng {
  return seedrandom('', { state });
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace(indices: Uint32Array, rng: Rng): Uint32Array {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = indices[i]!;
    indices[i] = indices[j]!;
    indices[j] = t;
  }
  return indices;
}

/**
 * Splits rows into train and validation, per class, so both keep the class balance. Every class keeps at
 * least one training row.
 */
export function stratifiedSplit(
  labelIndex: Uint32Array,
  classes: number,
  fraction: number,
  rng: Rng,
): { train: Uint32Array; validation: Uint32Array } {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labelIndex.forEach((label, row) => byClass[label]!.push(row));
  const train: number[] = [];
  const validation: number[] = [];
  for (const rows of byClass) {
    const shuffled = shuffleInPlace(Uint32Array.from(rows), rng);
    const held = Math.min(Math.round(rows.length * fraction), Math.max(rows.length - 1, 0));
    validation.push(...shuffled.subarray(0, held));
    train.push(...shuffled.subarray(held));
  }
  return { train: Uint32Array.from(train).sort(), validation: Uint32Array.from(validation).sort() };
}

/** The number of validation rows {@link stratifiedSplit} holds out, for checks at submission. */
export function validationRows(labelCounts: Record<string, number>, fraction: number): number {
  return Object.values(labelCounts).reduce(
    (n, count) => n + Math.min(Math.round(count * fraction), Math.max(count - 1, 0)),
    0,
  );
}

/** Per-feature mean and standard deviation, stored with the model and applied to every prediction. */
export const StandardizationSchema = Type.Object({
  mean: Type.Array(Type.Number()),
  std: Type.Array(Type.Number()),
});
export type Standardization = Static<typeof StandardizationSchema>;

/**
 * The least standard deviation a feature is divided by, as a share of its range (largest minus smallest value)
 * over the training rows: no training value then lands more than 1 / STD_FLOOR (10) deviations from its mean.
 * It only comes into play for a feature whose values would (a column that is almost always 0 and rarely large,
 * a rare outlier), whose plain z-score is about √rows for its rare values: large inputs the model trains on
 * once and then meets at every prediction that has them. A distribution with any spread has a std well above it.
 */
export const STD_FLOOR = 0.1;

/**
 * Statistics of the given rows only (the training split), so validation never leaks into them. Missing values
 * (NaN: blank cells of a CSV's numeric columns) are left out of their feature's statistics. A constant feature
 * (a border pixel that is always 0) is left unscaled (std 1) rather than divided by zero; any other feature's
 * std is at least {@link STD_FLOOR} of its range.
 */
export function standardization(
  features: Float32Array,
  featureSize: number,
  rows: Uint32Array,
): Standardization {
  const sum = new Float64Array(featureSize);
  const squares = new Float64Array(featureSize);
  const counts = new Float64Array(featureSize);
  const lowest = new Float64Array(featureSize).fill(Infinity);
  const highest = new Float64Array(featureSize).fill(-Infinity);
  for (const row of rows) {
    const offset = row * featureSize;
    for (let f = 0; f < featureSize; f++) {
      const v = features[offset + f]!;
      if (Number.isNaN(v)) continue;
      sum[f]! += v;
      squares[f]! += v * v;
      counts[f]! += 1;
      if (v < lowest[f]!) lowest[f] = v;
      if (v > highest[f]!) highest[f] = v;
    }
  }
  const mean = Array.from(sum, (s, f) => (counts[f]! > 0 ? s / counts[f]! : 0));
  const std = Array.from(squares, (s, f) => {
    const range = highest[f]! - lowest[f]!;
    // No values, or all the same: exactly constant. The range, not the variance, decides it, as the variance
    // of a constant feature can come out a rounding error above 0.
    if (!(range > 0)) return 1;
    const variance = Math.max(s / counts[f]! - mean[f]! ** 2, 0);
    return Math.max(Math.sqrt(variance), STD_FLOOR * range);
  });
  return { mean, std };
}

/** Copies of the given rows, flat, preprocessed as the model takes them. */
export function preprocessRows(
  features: Float32Array,
  featureSize: number,
  rows: ArrayLike<number>,
  preprocessing: Preprocessing,
): Float32Array {
  const out = new Float32Array(rows.length * featureSize);
  for (let r = 0; r < rows.length; r++) {
    const source = rows[r]! * featureSize;
    out.set(features.subarray(source, source + featureSize), r * featureSize);
  }
  preprocessInPlace(out, preprocessing);
  return out;
}

/**
 * Applies `preprocessing` to flat instances, in place: the one formula training and serving share. The scaling
 * of every value first, then per-feature standardization; missing values (NaN) are imputed.
 */
export function preprocessInPlace(values: Float32Array, preprocessing: Preprocessing): void {
  const { pixels, standardize } = preprocessing ?? {};
  if (pixels) {
    for (let i = 0; i < values.length; i++) values[i] = values[i]! * pixels.scale + pixels.offset;
  }
  if (standardize) standardizeInPlace(values, standardize);
  // Without statistics to impute with, a missing value (a blank cell given as null) goes in as 0.
  else imputeInPlace(values, 0);
}

/** Replaces missing values (NaN) with `value`, in place. */
function imputeInPlace(values: Float32Array, value: number): void {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i]!)) values[i] = value;
}

/**
 * Applies stored standardization to flat rows, in place: the one formula training and prediction share. A missing
 * value (NaN) becomes 0, its feature's training mean.
 */
export function standardizeInPlace(values: Float32Array, stats: Standardization): void {
  const size = stats.mean.length;
  for (let i = 0; i < values.length; i++) {
    const f = i % size;
    const v = values[i]!;
    values[i] = Number.isNaN(v) ? 0 : (v - stats.mean[f]!) / stats.std[f]!;
  }
}

/** Features of `rows` as a tensor of shape [rows, ...inputShape], preprocessed. */
export function featureTensor(
  features: Float32Array,
  inputShape: number[],
  rows: ArrayLike<number>,
  preprocessing: Preprocessing,
): tf.Tensor {
  const size = tf.util.sizeFromShape(inputShape);
  return tf.tensor(
    preprocessRows(features, size, rows, preprocessing),
    [rows.length, ...inputShape],
    'float32',
  );
}

/** One-hot labels of `rows`. */
export function labelTensor(labelIndex: Uint32Array, rows: ArrayLike<number>, classes: number): tf.Tensor2D {
  const out = new Float32Array(rows.length * classes);
  for (let r = 0; r < rows.length; r++) out[r * classes + labelIndex[rows[r]!]!] = 1;
  return tf.tensor2d(out, [rows.length, classes]);
}

/** The rows to train on, and those to validate on with the dataset they are rows of (none without validation). */
export interface Rows {
  train: Uint32Array;
  validation: { data: DatasetData; rows: Uint32Array } | null;
}

/**
 * The rows of `data` to train on, holding out the share `holdOut` of each class for validation (null: none held
 * out); a separate validation dataset, when given, is validated on whole.
 */
export function selectRows(
  data: DatasetData,
  classes: number,
  holdOut: number | null,
  validationData: DatasetData | undefined,
  rng: Rng,
): Rows {
  const split =
    holdOut !== null
      ? stratifiedSplit(data.labelIndex, classes, holdOut, rng)
      : { train: Uint32Array.from(data.labelIndex.keys()), validation: new Uint32Array(0) };
  return {
    train: split.train,
    validation: validationData
      ? { data: validationData, rows: Uint32Array.from(validationData.labelIndex.keys()) }
      : split.validation.length > 0
        ? { data, rows: split.validation }
        : null,
  };
}

export interface DatasetTensors {
  trainX: tf.Tensor;
  trainY: tf.Tensor;
  valX: tf.Tensor | null;
  valY: tf.Tensor | null;
}

/** Preprocessed features and the targets (one-hot labels, or numbers) of the chosen rows, made all or none. */
export function datasetTensors(
  data: DatasetData,
  rows: Rows,
  inputShape: number[],
  targetsOf: (data: DatasetData, rows: ArrayLike<number>) => tf.Tensor,
  preprocessing: Preprocessing,
): DatasetTensors {
  const { validation } = rows;
  // Inside tidy, a failure part-way releases the tensors already made.
  const [trainX, trainY, valX = null, valY = null] = tf.tidy(() => [
    featureTensor(data.features, inputShape, rows.train, preprocessing),
    targetsOf(data, rows.train),
    ...(validation
      ? [
          featureTensor(validation.data.features, inputShape, validation.rows, preprocessing),
          targetsOf(validation.data, validation.rows),
        ]
      : []),
  ]);
  return { trainX, trainY, valX, valY };
}

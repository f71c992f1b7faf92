import * as tf from '@tensorflow/tfjs';
import { Type, type Static } from 'typebox';
import type { PixelScaling, Preprocessing } from '../models/preprocessing.js';
import { standardization, type Standardization } from './data.js';

/** The request's `preprocessing`: how a job's inputs are scaled before its model sees them, and at every prediction. */
export const PreprocessingKindSchema = Type.Enum(['auto', 'standardize', 'scale', 'none'], {
  description:
    "auto (default): rows of numbers into an MLP standardized per feature; rows shaped as images into a CNN, and images, scaled as a whole; a base's own preprocessing when transferring. " +
    'standardize: each feature by its training mean and standard deviation (rows of numbers only). ' +
    "scale: every value by one factor (images: 1/255; rows: 1 / the training split's largest absolute value). " +
    'none: the values as they are. With a base, only its own kind (or auto)',
});
export type PreprocessingKind = Static<typeof PreprocessingKindSchema>;

/** What a job applies once `auto` is decided. */
export type AppliedKind = Exclude<PreprocessingKind, 'auto'>;

/** The kind of a stored preprocessing: what a job on that model as its base keeps. */
export function preprocessingKindOf(preprocessing: Preprocessing): AppliedKind {
  if (preprocessing?.standardize) return 'standardize';
  if (preprocessing?.pixels) return 'scale';
  return 'none';
}

/**
 * The kind a job from scratch on rows of numbers applies. `auto` standardizes, but scales the whole input of a
 * model that takes the rows as images ([H, W, C], a CNN): pixels share one scale, and per-pixel statistics would
 * magnify the pixels that are almost always blank. A spec queued before the field existed reads as `auto`.
 */
export function rowKind(kind: PreprocessingKind | undefined, inputShape: number[]): AppliedKind {
  if (kind !== undefined && kind !== 'auto') return kind;
  return inputShape.length === 3 ? 'scale' : 'standardize';
}

/**
 * One factor for every value: 1 / the largest absolute value among the given rows (the training split), so that
 * they lie in [-1, 1]; 1 when every value is 0. Missing values (NaN) are left out.
 */
export function wholeInputScaling(
  features: Float32Array,
  featureSize: number,
  rows: ArrayLike<number>,
): PixelScaling {
  let largest = 0;
  for (let r = 0; r < rows.length; r++) {
    const offset = rows[r]! * featureSize;
    for (let f = 0; f < featureSize; f++) {
      const v = Math.abs(features[offset + f]!);
      if (v > largest) largest = v;
    }
  }
  return { scale: largest > 0 ? 1 / largest : 1, offset: 0 };
}

/** A preprocessing of the parts given, null when neither is. */
export function preprocessingOf(
  pixels: PixelScaling | null | undefined,
  standardize: Standardization | null | undefined,
): Preprocessing {
  if (!pixels && !standardize) return null;
  return { ...(pixels ? { pixels } : {}), ...(standardize ? { standardize } : {}) };
}

/** What {@link rowPreprocessing} reads of a training input. */
export interface RowSource {
  spec: { preprocessing?: PreprocessingKind };
  data: { features: Float32Array };
  base?: unknown;
  basePreprocessing?: Standardization | null;
  basePixels?: PixelScaling | null;
}

/**
 * The preprocessing of a job on rows of numbers, from statistics of the training rows only (validation never
 * leaks into them). A transfer job keeps its base's own, which its frozen layers were trained on (none for a base
 * stored without one); submission refuses any other kind named with a base.
 */
export function rowPreprocessing(
  source: RowSource,
  inputShape: number[],
  trainRows: Uint32Array,
): Preprocessing {
  if (source.base) return preprocessingOf(source.basePixels, source.basePreprocessing);
  const size = tf.util.sizeFromShape(inputShape);
  switch (rowKind(source.spec.preprocessing, inputShape)) {
    case 'standardize':
      return { standardize: standardization(source.data.features, size, trainRows) };
    case 'scale':
      return { pixels: wholeInputScaling(source.data.features, size, trainRows) };
    case 'none':
      return null;
  }
}

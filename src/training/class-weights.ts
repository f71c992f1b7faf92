import * as tf from '@tensorflow/tfjs';
import { Type, type Static } from 'typebox';
import { StringRecord } from '../string-record.js';

/** The request's `classWeight`: how much each class's rows count in the loss. */
export const ClassWeightSchema = Type.Union(
  [
    Type.Literal('balanced'),
    StringRecord(Type.Number({ exclusiveMinimum: 0, maximum: 1e6 }), {
      minProperties: 1,
      maxProperties: 10_000,
      propertyNames: { minLength: 1, maxLength: 200 },
    }),
  ],
  {
    description:
      'balanced: each class weighted by rows / (classes × its rows) among the training rows, so that every class counts as much in the loss; or a weight per label (1 for labels it leaves out). The training loss reported is the weighted one; validation loss is not weighted',
  },
);
export type ClassWeight = Static<typeof ClassWeightSchema>;

/** The labels a weight map names that the dataset does not have. */
export function unknownClassWeightLabels(classWeight: ClassWeight, labels: string[]): string[] {
  if (classWeight === 'balanced') return [];
  return Object.keys(classWeight).filter((label) => !labels.includes(label));
}

/**
 * Loss weights by class index, as TF.js's `fit` takes them: balanced over the training rows (each class at least
 * one there, as the split keeps it), or the request's map; null when the job weights no class.
 */
export function classWeightsOf(
  classWeight: ClassWeight | null | undefined,
  labels: string[],
  labelIndex: Uint32Array,
  trainRows: ArrayLike<number>,
): Record<number, number> | null {
  if (!classWeight) return null;
  if (classWeight !== 'balanced') {
    return Object.fromEntries(labels.map((label, c) => [c, classWeight[label] ?? 1]));
  }
  const counts = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < trainRows.length; i++) counts[labelIndex[trainRows[i]!]!]! += 1;
  const total = trainRows.length;
  return Object.fromEntries(counts.map((n, c) => [c, n > 0 ? total / (labels.length * n) : 1]));
}

/**
 * Each row's weight in the loss from its one-hot target, as TF.js's `fit` derives it: its class's weight. Only a
 * classification's targets have classes (a regression's class weights are refused at submission).
 */
export function rowWeightsOf(classWeight: Record<number, number>, ys: tf.Tensor): tf.Tensor1D {
  if (ys.rank !== 2 || ys.shape[1]! < 2)
    throw new Error(`class weights need one-hot targets, not [${ys.shape.join(', ')}]`);
  const table = Float32Array.from({ length: ys.shape[1]! }, (_, c) => classWeight[c] ?? 1);
  return tf.tidy(() => tf.gather(tf.tensor1d(table), tf.argMax(ys, 1)));
}

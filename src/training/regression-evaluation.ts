import * as tf from '@tensorflow/tfjs';
import { Type, type Static } from 'typebox';
import { predictInChunks, PREDICT_CHUNK_ROWS } from './evaluate.js';
import type { TargetScaling } from './tasks.js';

/** How well a regression model does on the validation split (or the training split, without one), in the target's units. */
export const RegressionEvaluationSchema = Type.Object({
  task: Type.Literal('regression'),
  split: Type.Enum(['validation', 'train']),
  rows: Type.Integer(),
  mae: Type.Number({ description: 'Mean absolute error' }),
  rmse: Type.Number({ description: 'Root mean squared error' }),
  r2: Type.Union([Type.Number(), Type.Null()], {
    description:
      'Coefficient of determination: 1 − squared error / variance of the targets (null for constant targets)',
  }),
  target: Type.Object(
    { mean: Type.Number(), std: Type.Number() },
    { description: 'Mean and standard deviation of the targets evaluated on' },
  ),
});
export type RegressionEvaluation = Static<typeof RegressionEvaluationSchema>;

/** MAE, RMSE and R² of `model` on (x, y), y and the model's output standardized by `scaling`. */
export async function evaluateRegression(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  scaling: TargetScaling,
  split: RegressionEvaluation['split'],
  chunkRows = PREDICT_CHUNK_ROWS,
): Promise<RegressionEvaluation> {
  const predicted = (await predictInChunks(model, x, (out) => Array.from(out.dataSync()), chunkRows)).flat();
  const actual = Array.from(tf.tidy(() => y.dataSync()));
  const unscale = (v: number) => v * scaling.std + scaling.mean;
  let [absolute, squared, sum, squares] = [0, 0, 0, 0];
  for (let i = 0; i < actual.length; i++) {
    const truth = unscale(actual[i]!);
    const error = unscale(predicted[i]!) - truth;
    absolute += Math.abs(error);
    squared += error * error;
    sum += truth;
    squares += truth * truth;
  }
  const n = Math.max(actual.length, 1);
  const mean = sum / n;
  const variance = squares / n - mean * mean;
  return {
    task: 'regression',
    split,
    rows: actual.length,
    mae: absolute / n,
    rmse: Math.sqrt(squared / n),
    r2: variance > 1e-12 ? 1 - squared / n / variance : null,
    target: { mean, std: Math.sqrt(Math.max(variance, 0)) },
  };
}

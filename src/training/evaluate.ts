import * as tf from '@tensorflow/tfjs';
import { Type, type Static } from 'typebox';
import { nextMacrotask } from '../event-loop.js';
import { lowRecallClasses, LowRecallSchema } from './low-recall.js';

/** How well a trained model does on the validation split (or the training split, without one). */
export const EvaluationSchema = Type.Object({
  split: Type.Enum(['validation', 'train']),
  rows: Type.Integer(),
  accuracy: Type.Number(),
  // Both in `labels` order.
  confusionMatrix: Type.Array(Type.Array(Type.Integer()), {
    description: 'Rows: true label, columns: predicted',
  }),
  perClass: Type.Array(
    Type.Object({
      label: Type.String(),
      precision: Type.Number(),
      recall: Type.Number(),
      support: Type.Integer(),
    }),
  ),
  // Optional: models trained before the flag have evaluations without it.
  lowRecall: Type.Optional(LowRecallSchema),
});
export type Evaluation = Static<typeof EvaluationSchema>;

/**
 * The most rows predicted at once. A job whose rows are large predicts fewer at a time, so that a chunk fits its
 * activation budget (see src/jobs/job-cost.ts, which sizes the chunk).
 */
export const PREDICT_CHUNK_ROWS = 256;

/**
 * `model.predict` over `x` in chunks of `chunkRows`, yielding to the event loop between them so that a long pass
 * does not hold up timers (a worker's lock renewal). `read` turns each chunk's output into what is kept.
 */
export async function predictInChunks<T>(
  model: tf.LayersModel,
  x: tf.Tensor,
  read: (output: tf.Tensor) => T,
  chunkRows = PREDICT_CHUNK_ROWS,
): Promise<T[]> {
  const rows = x.shape[0];
  const step = Math.max(1, Math.floor(chunkRows));
  const parts: T[] = [];
  for (let start = 0; start < rows; start += step) {
    const size = Math.min(step, rows - start);
    // tidy keeps a returned tensor and releases everything else made for the chunk.
    parts.push(
      tf.tidy(() => read(model.predict(x.slice(start, size)) as tf.Tensor) as tf.TensorContainer) as T,
    );
    await nextMacrotask();
  }
  return parts;
}

/**
 * Confusion matrix, accuracy and per-class precision and recall of `model` on (x, one-hot y), and the classes
 * whose recall is far below the others'.
 */
export async function evaluate(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  labels: string[],
  split: Evaluation['split'],
  chunkRows = PREDICT_CHUNK_ROWS,
): Promise<Evaluation> {
  const classes = labels.length;
  const predicted = (
    await predictInChunks(model, x, (scores) => Array.from(scores.argMax(-1).dataSync()), chunkRows)
  ).flat();
  const actual = tf.tidy(() => y.argMax(-1).dataSync());
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) matrix[actual[i]!]![predicted[i]!]! += 1;
  const correct = matrix.reduce((n, row, i) => n + row[i]!, 0);
  const perClass = labels.map((label, c) => {
    const truePositive = matrix[c]![c]!;
    const predictedAs = matrix.reduce((n, row) => n + row[c]!, 0);
    const support = matrix[c]!.reduce((n, v) => n + v, 0);
    return {
      label,
      precision: predictedAs > 0 ? truePositive / predictedAs : 0,
      recall: support > 0 ? truePositive / support : 0,
      support,
    };
  });
  return {
    split,
    rows: actual.length,
    accuracy: actual.length > 0 ? correct / actual.length : 0,
    confusionMatrix: matrix,
    perClass,
    lowRecall: lowRecallClasses(perClass),
  };
}

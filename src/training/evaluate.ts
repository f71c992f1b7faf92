import * as tf from '@tensorflow/tfjs';

export interface Evaluation {
  split: 'validation' | 'train';
  rows: number;
  accuracy: number;
  /** Rows: true label; columns: predicted label; both in `labels` order. */
  confusionMatrix: number[][];
  perClass: Array<{ label: string; precision: number; recall: number; support: number }>;
}

/** Confusion matrix, accuracy and per-class precision and recall of `model` on (x, one-hot y). */
export function evaluate(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  labels: string[],
  split: Evaluation['split'],
): Evaluation {
  const classes = labels.length;
  const [predicted, actual] = tf.tidy(() => {
    const scores = model.predict(x, { batchSize: 256 }) as tf.Tensor;
    return [scores.argMax(-1).dataSync(), y.argMax(-1).dataSync()];
  });
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
  };
}

import type { Rows } from './data.js';
import type { TrainingHooks } from './phase-loop.js';

const AND = new Intl.ListFormat('en', { type: 'conjunction' });
const percent = (share: number) => `${Number((share * 100).toFixed(1))}%`;
const rowCount = (n: number) => `${n} row${n === 1 ? '' : 's'}`;

/** Where a job's validation rows come from: a share held out of each class, or a dataset of their own. */
type ValidationSource = { split: number } | { dataset: string };

/** What {@link validationWarnings} reads of a training input. */
export interface ValidationInput {
  labels: string[];
  data: { labelIndex: Uint32Array };
  spec: { validation: ValidationSource };
}

/**
 * What the job is told before it trains about the rows it is validated on: that there are none (the evaluation
 * falls back to the training rows), or the classes that have none (they are trained on, and evaluated on no
 * rows). `classes` false: the labels are not classes (a regression), and only the first applies.
 */
export function validationWarnings(input: ValidationInput, rows: Rows, classes: boolean): string[] {
  const source = input.spec.validation;
  if (!rows.validation) {
    const why =
      'split' in source && source.split > 0
        ? `too few rows for a ${percent(source.split)} hold-out to take any, as every class keeps a training row`
        : 'the job holds none out';
    return [
      `no validation rows: ${why}. The evaluation is of the training rows (split "train"), which the model learnt ` +
        'from, so it reads better than new rows would, and val_loss and val_accuracy are not reported; give a ' +
        'larger validation.split or a validation.dataset',
    ];
  }
  if (!classes) return [];
  const held = new Array<number>(input.labels.length).fill(0);
  const { data, rows: validationRows } = rows.validation;
  for (const row of validationRows) held[data.labelIndex[row]!]! += 1;
  const trained = new Array<number>(input.labels.length).fill(0);
  for (const row of rows.train) trained[input.data.labelIndex[row]!]! += 1;
  const missing = input.labels.flatMap((label, c) =>
    held[c] === 0 ? [`'${label}' (${rowCount(trained[c]!)})`] : [],
  );
  if (missing.length === 0) return [];
  const why =
    'split' in source
      ? `too few rows for a ${percent(source.split)} hold-out to take one`
      : `validation dataset ${source.dataset} has none`;
  return [
    `no validation rows of ${AND.format(missing)}: ${why}. They are trained on all the same, and evaluated on ` +
      'no rows (support 0, recall and precision 0): give more rows of them, or a validation.dataset',
  ];
}

/** Logs {@link validationWarnings} as warning events. */
export async function warnAboutValidation(
  hooks: TrainingHooks,
  input: ValidationInput,
  rows: Rows & { task: { name: string } },
): Promise<void> {
  for (const message of validationWarnings(input, rows, rows.task.name !== 'regression'))
    await hooks.onLog?.(message, 'warn');
}

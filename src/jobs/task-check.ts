import type { Dataset } from '../datasets/dataset-store.js';
import { badRequest, unprocessable } from '../errors.js';
import type { JobRequest, JobSpec } from './job-spec.js';

/** Classes beyond which labels that are mostly single rows (or numbers of a few rows each) are no classes. */
const FEW_CLASSES = 10;
/** Rows per class below which numeric labels are taken for a quantity to regress on. */
const ROWS_PER_NUMERIC_CLASS = 5;

/** The task's own fields: a loss only for a regression, and no class weights on one. A 400 naming the field. */
export function checkTaskRequest(request: JobRequest): void {
  const regression = request.task === 'regression';
  if (request.loss !== undefined && !regression)
    throw badRequest('invalid_job', "'loss' chooses a regression's loss: set task to 'regression'", {
      field: '/loss',
    });
  if (regression && request.classWeight !== undefined)
    throw badRequest('invalid_job', 'a regression has no classes to weight', { field: '/classWeight' });
  if (regression && request.hyperparameters?.earlyStopping?.monitor === 'val_accuracy')
    throw badRequest('invalid_job', "a regression has no accuracy: monitor 'val_loss'", {
      field: '/hyperparameters/earlyStopping/monitor',
    });
}

/** Whether a job's validation split holds out any rows: per class for a classification, of all rows for a regression. */
export function splitHoldsRows(spec: JobSpec, dataset: Dataset, perClass: () => number): boolean {
  if (!('split' in spec.validation)) return true;
  return spec.task === 'regression' ? Math.round(dataset.rows * spec.validation.split) > 0 : perClass() > 0;
}

/**
 * The task against the dataset: a regression needs numeric labels on rows of numbers; a classification needs
 * classes, not a column of numbers nearly every one of which is its own class.
 */
export function checkTask(spec: JobSpec, dataset: Dataset, validation: Dataset | undefined): void {
  if (spec.task === 'regression') {
    if (dataset.kind === 'image')
      throw unprocessable('invalid_job', 'regression is for rows of numbers; an image dataset has classes', {
        field: '/task',
      });
    for (const [data, field] of [
      [dataset, '/task'],
      [validation, '/validation/dataset'],
    ] as const) {
      if (data && !data.target)
        throw unprocessable(
          'invalid_job',
          `dataset ${data.id}'s labels are not all numbers, so it cannot train a regression`,
          {
            field,
          },
        );
    }
    return;
  }
  const counts = Object.values(dataset.labelCounts);
  const single = counts.filter((count) => count === 1).length;
  const quantity = dataset.target !== undefined && dataset.rows < counts.length * ROWS_PER_NUMERIC_CLASS;
  if (counts.length === 0 || (counts.length > FEW_CLASSES && (single * 2 >= counts.length || quantity))) {
    const hint = dataset.target
      ? `its labels are numbers: set task to 'regression' to predict them as numbers`
      : 'group its labels into fewer classes';
    throw unprocessable(
      'invalid_job',
      counts.length === 0
        ? `dataset ${dataset.id} has more distinct labels than a classification may have classes; ${hint}`
        : `dataset ${dataset.id} has ${counts.length} classes for ${dataset.rows} rows (${single} of a single row): too few rows to learn or validate a class; ${hint}`,
      { field: '/task' },
    );
  }
}

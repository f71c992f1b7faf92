import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../datasets/dataset-store.js';
import { badRequest, unprocessable } from '../errors.js';
import type { ModelRecord } from '../models/model-store.js';
import { architectureOf, checkArchitectureRequest } from '../training/architectures/index.js';
import { validationRows } from '../training/data.js';
import { settleAutoSettings } from './auto-settings.js';
import { checkBase } from './base-model-check.js';
import { checkImageJob, jobDataShape } from './image-job-check.js';
import { budgetExcesses, checkJobCost, estimateJobCost, type JobBudget } from './job-cost.js';
import { checkPreprocessing } from './preprocessing-check.js';
import type { JobRequest, JobSpec } from './job-spec.js';
import { checkTask, checkTaskRequest, splitHoldsRows } from './task-check.js';

const size = tf.util.sizeFromShape;
const show = (shape: number[]) => `[${shape.join(', ')}]`;

/** The stored records a job names, as submission reads them. */
export interface JobRecords {
  dataset: Dataset;
  validation?: Dataset;
  base?: ModelRecord;
}

const invalid = (detail: string, field: string) => badRequest('invalid_job', detail, { field });

/** The request's own consistency, before any record is read: which fields go together. A 400 naming the field. */
export function checkJobRequest(request: JobRequest): void {
  if (request.baseModel && request.architecture)
    throw invalid(
      "give either 'baseModel' (transfer learning) or 'architecture' (from scratch), not both",
      '/architecture',
    );
  if (!request.baseModel && !request.architecture)
    throw invalid("give 'baseModel' to transfer from, or 'architecture' to train from scratch", '/baseModel');
  if (request.transfer && !request.baseModel)
    throw invalid("'transfer' applies only with a 'baseModel'", '/transfer');
  if (request.hyperparameters?.fineTune && !request.baseModel)
    throw invalid("'fineTune' unfreezes base layers, so it needs a 'baseModel'", '/hyperparameters/fineTune');
  if (request.validation?.split !== undefined && request.validation.dataset !== undefined)
    throw invalid("give 'validation.split' or 'validation.dataset', not both", '/validation');
  if (request.architecture) checkArchitectureRequest(request.architecture);
  checkTaskRequest(request);
}

/** A separate validation dataset must have the training rows' shape and only their labels. */
function checkValidationDataset(dataset: Dataset, validation: Dataset, spec: JobSpec): void {
  if (size(validation.featureShape) !== size(dataset.featureShape)) {
    throw unprocessable(
      'shape_mismatch',
      `validation dataset features ${show(validation.featureShape)} do not match training features ${show(dataset.featureShape)}`,
      { field: '/validation/dataset', expected: dataset.featureShape, actual: validation.featureShape },
    );
  }
  if (dataset.columns && JSON.stringify(validation.columns) !== JSON.stringify(dataset.columns)) {
    throw unprocessable(
      'shape_mismatch',
      `validation dataset ${validation.id} encodes its columns differently from ${dataset.id}: upload it with columnsFrom=${dataset.id}`,
      { field: '/validation/dataset' },
    );
  }
  // A regression's labels are numbers, any of which may be new.
  const unknown =
    spec.task === 'regression' ? [] : validation.labels.filter((label) => !dataset.labels.includes(label));
  if (unknown.length > 0) {
    throw unprocessable(
      'unknown_labels',
      `the validation dataset has labels the training dataset lacks: ${unknown.join(', ')}`,
      { field: '/validation/dataset', labels: unknown },
    );
  }
}

/** Whether the job has rows to validate on: a separate dataset, or a split that holds some. */
export function hasValidationRows(spec: JobSpec, dataset: Dataset): boolean {
  return splitHoldsRows(spec, dataset, () =>
    'split' in spec.validation ? validationRows(dataset.labelCounts, spec.validation.split) : 0,
  );
}

/** Rows the job trains on: the dataset less its validation split. */
function trainRowsOf(spec: JobSpec, dataset: Dataset): number {
  if (!('split' in spec.validation)) return dataset.rows;
  const held =
    spec.task === 'regression'
      ? Math.round(dataset.rows * spec.validation.split)
      : validationRows(dataset.labelCounts, spec.validation.split);
  return dataset.rows - held;
}

/**
 * A resolved spec against the records it names: validation data, the architecture's and base's shapes, and the
 * job's cost against the budget. Returns the spec with its "auto" settings chosen (auto-settings.ts). Pure: the
 * caller reads the records (and answers 404s for missing ones).
 */
export function checkJobAgainstRecords(requested: JobSpec, records: JobRecords, budget: JobBudget): JobSpec {
  const { dataset, validation, base } = records;
  if (validation) checkValidationDataset(dataset, validation, requested);
  checkTask(requested, dataset, validation);
  const hasValidation = hasValidationRows(requested, dataset);
  if (requested.hyperparameters.earlyStopping && !hasValidation) {
    throw unprocessable(
      'no_validation_data',
      'early stopping monitors validation metrics, but this job has no validation rows',
      { field: '/hyperparameters/earlyStopping' },
    );
  }
  checkImageJob(requested, records);
  checkPreprocessing(requested, dataset, base);
  // Images are resized to the model's input (checked above), so only rows of numbers must match it exactly.
  const images = dataset.kind === 'image';
  if (requested.architecture && !images)
    architectureOf(requested.architecture.type).checkFeatures(requested.architecture, dataset.featureShape);
  if (base) checkBase(base, images ? base.inputShape : dataset.featureShape, requested);
  const shape = jobDataShape(requested, dataset, base);
  const costOf = (spec: JobSpec) => estimateJobCost(spec, shape, base, budget);
  const spec = settleAutoSettings(requested, {
    trainRows: trainRowsOf(requested, dataset),
    hasValidation,
    fits: (batchSize) => {
      const trial = { ...requested, hyperparameters: { ...requested.hyperparameters, batchSize } };
      return budgetExcesses(trial, costOf(trial), budget).every((excess) => excess.quantity === 'params');
    },
  });
  checkJobCost(spec, costOf(spec), budget);
  return spec;
}

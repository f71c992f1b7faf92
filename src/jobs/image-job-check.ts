import type { Dataset } from '../datasets/dataset-store.js';
import { unprocessable } from '../errors.js';
import type { ModelRecord } from '../models/model-store.js';
import { architectureOf } from '../training/architectures/index.js';
import { unknownClassWeightLabels } from '../training/class-weights.js';
import { imageInputMismatch } from '../training/image-inputs.js';
import type { DataShape } from './cost-layers.js';
import type { JobSpec } from './job-spec.js';

/** The records a job names, as these checks read them. */
interface ImageJobRecords {
  dataset: Dataset;
  validation?: Dataset;
  base?: ModelRecord;
}

/**
 * A job's image options against its records, at submission: augmentation only on image datasets, class weights
 * only for the dataset's labels, and images the model can take (resized to its input, grayscale repeated into
 * RGB). A 422 naming the field.
 */
export function checkImageJob(spec: JobSpec, { dataset, validation, base }: ImageJobRecords): void {
  const unknown = spec.classWeight ? unknownClassWeightLabels(spec.classWeight, dataset.labels) : [];
  if (unknown.length > 0) {
    throw unprocessable(
      'unknown_labels',
      `classWeight names labels dataset ${dataset.id} does not have: ${unknown.join(', ')}`,
      { field: '/classWeight', labels: unknown },
    );
  }
  if (dataset.kind !== 'image') {
    if (spec.augmentation)
      throw unprocessable(
        'not_an_image_dataset',
        `augmentation changes images, but dataset ${dataset.id} holds rows of numbers`,
        { field: '/augmentation' },
      );
    return;
  }
  if (validation && validation.kind !== 'image') {
    throw unprocessable(
      'shape_mismatch',
      `the training dataset holds images, but validation dataset ${validation.id} holds rows of numbers`,
      { field: '/validation/dataset' },
    );
  }
  if (base) checkImageBase(base, dataset);
  else if (spec.architecture) {
    const inputShape = architectureOf(spec.architecture.type).inputShape(
      spec.architecture,
      dataset.featureShape,
    );
    const mismatch = imageInputMismatch(dataset.featureShape, inputShape);
    if (mismatch)
      throw unprocessable('shape_mismatch', mismatch, {
        field: '/architecture/inputShape',
        expected: dataset.featureShape,
        actual: inputShape,
      });
  }
}

/** An image base must take images the dataset's can be made into, and pixels rather than standardized rows. */
function checkImageBase(base: ModelRecord, dataset: Dataset): void {
  const mismatch = imageInputMismatch(dataset.featureShape, base.inputShape);
  if (mismatch) {
    throw unprocessable('shape_mismatch', `base model ${base.id}: ${mismatch}`, {
      field: '/baseModel',
      expected: base.inputShape,
      actual: dataset.featureShape,
    });
  }
  if (base.preprocessing?.standardize) {
    throw unprocessable(
      'unsupported_model',
      `base model ${base.id} standardizes each input value, as a model trained on rows of numbers does; a job on images needs a base that takes pixels (scaled, or as they are)`,
      { field: '/baseModel' },
    );
  }
}

/**
 * The data a job's cost is estimated on: the dataset's rows, an image dataset's as the model takes them
 * (resized to the base's input, or the architecture's).
 */
export function jobDataShape(
  spec: JobSpec,
  dataset: Pick<Dataset, 'kind' | 'featureShape' | 'labels' | 'rows'>,
  base?: Pick<ModelRecord, 'inputShape'>,
): DataShape {
  let featureShape = dataset.featureShape;
  if (dataset.kind === 'image' && base) featureShape = base.inputShape;
  else if (dataset.kind === 'image' && spec.architecture)
    featureShape = architectureOf(spec.architecture.type).inputShape(spec.architecture, featureShape);
  return { featureShape, classes: dataset.labels.length, rows: dataset.rows };
}

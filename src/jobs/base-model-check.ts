import * as tf from '@tensorflow/tfjs';
import { badRequest, unprocessable } from '../errors.js';
import type { ModelRecord } from '../models/model-store.js';
import type { JobSpec } from './job-spec.js';

const size = tf.util.sizeFromShape;
const show = (shape: number[]) => `[${shape.join(', ')}]`;

/** The base model must take the dataset's rows, and the cut layer must exist. */
export function checkBase(base: ModelRecord, featureShape: number[], spec: JobSpec): void {
  const inputSize = size(base.inputShape);
  if (inputSize !== size(featureShape)) {
    throw unprocessable(
      'shape_mismatch',
      `base model ${base.id} takes input ${show(base.inputShape)} (${inputSize} values), but dataset rows have shape ${show(featureShape)} (${size(featureShape)} values)`,
      { field: '/baseModel', expected: base.inputShape, actual: featureShape },
    );
  }
  const cut = spec.transfer?.cutLayer;
  if (cut && !base.layers.some((layer) => layer.name === cut)) {
    throw unprocessable(
      'unknown_layer',
      `base model ${base.id} has no layer '${cut}'; its layers are ${base.layers.map((l) => l.name).join(', ')}`,
      {
        field: '/transfer/cutLayer',
      },
    );
  }
  if (!cut && !base.defaultCutLayer) {
    throw unprocessable(
      'no_cut_layer',
      `base model ${base.id} has neither a 'features' layer nor a Dense layer to cut below; name 'transfer.cutLayer'`,
      {
        field: '/transfer/cutLayer',
      },
    );
  }
  // Layer counts refer to the base's layers up to the cut (input layers not counted).
  const cutAt = base.layers.findIndex((layer) => layer.name === (cut ?? base.defaultCutLayer));
  const below = base.layers.slice(0, cutAt + 1).filter((layer) => layer.className !== 'InputLayer').length;
  const counts: Array<[string, number | null | undefined]> = [
    ['/transfer/freeze', typeof spec.transfer?.freeze === 'number' ? spec.transfer.freeze : null],
    ['/hyperparameters/fineTune/unfreeze', spec.hyperparameters.fineTune?.unfreeze],
  ];
  for (const [field, count] of counts) {
    if (typeof count === 'number' && count > below) {
      throw badRequest(
        'out_of_range',
        `${field.slice(1)} is ${count}, but base model ${base.id} has ${below} layers up to the cut`,
        {
          field,
          maximum: below,
        },
      );
    }
  }
}

import * as tf from '@tensorflow/tfjs';
import { badRequest, unprocessable } from '../errors.js';
import type { ModelRecord } from '../models/model-store.js';
import type { JobSpec } from './job-spec.js';

const size = tf.util.sizeFromShape;
const show = (shape: number[]) => `[${shape.join(', ')}]`;

/**
 * A GraphModel base is a frozen feature extractor, used whole: a job that would cut it or train any of it is a
 * 422 naming the field. The head trained on it is stored beside a copy of it.
 */
function checkFrozenBase(base: ModelRecord, spec: JobSpec): void {
  const frozen = `base model ${base.id} is a GraphModel: a frozen feature extractor, used whole`;
  const freeze = spec.transfer?.freeze ?? 'all';
  const refusals: Array<[string, boolean, string]> = [
    ['/transfer/cutLayer', spec.transfer?.cutLayer != null, 'it cannot be cut at a layer'],
    [
      '/transfer/freeze',
      freeze !== 'all' && freeze !== 0,
      "none of it can be unfrozen: leave 'freeze' at 'all'",
    ],
    ['/hyperparameters/fineTune', spec.hyperparameters.fineTune !== null, 'it cannot be fine-tuned'],
  ];
  for (const [field, refused, why] of refusals)
    if (refused) throw unprocessable('invalid_job', `${frozen}; ${why}`, { field });
}

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
  if (base.format === 'graph-model') return checkFrozenBase(base, spec);
  if (base.graphBase) {
    // Its head takes the GraphModel's output; a model built on it would be a base, a head and a head.
    throw unprocessable(
      'unsupported_model',
      `base model ${base.id} was trained on a GraphModel base and is stored as that base and a head: train on its base (${base.lineage.baseModelId ?? 'the GraphModel it names'}) instead`,
      { field: '/baseModel' },
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
